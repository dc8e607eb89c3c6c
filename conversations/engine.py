"""The petition conversation as a pure function: ``step(state, inbound, world) -> Turn``.

No I/O happens here (no database, Redis, clock or network): the caller loads the
state and the facts in ``World``, and applies the effects in the returned ``Turn``.

Rules, in the order they are tried on every text:

    a revocation (see conversations.revocation: STOP, "please remove me", "wrong number",
        Twilio's OptOutType=STOP) --> RecordOptOut, over (and EndSignup, if a volunteer's
        sign-up awaits this phone's YES); confirmed once: an opted-out phone's is only recorded
    from an opted-out phone: START / UNSTOP / YES / REANUDAR, the whole text --> RecordOptIn
        (but a text sent before the opt-out, handled late, never opts back in);
        HELP --> help; a campaign's keyword --> how to opt back in first; else silence
    HELP / INFO / AYUDA --> help with the campaign's frequency, then the question still waiting
    ADD <phone> <name> <ZIP> from a registered volunteer --> SignUp; anyone else: volunteers only
    ESPAÑOL / ENGLISH --> switch language, ask the current question again
    a keyword (FACES, CARAS) --> start that campaign, in the keyword's language
    an event's keyword (FACESATL) --> start its campaign; the signature's source is the event
    no conversation, a volunteer's sign-up awaiting YES: yes --> RecordSignature (confirmed);
        no --> EndSignup, polite goodbye; anything else --> ask for YES again
    no conversation, a broadcast reached this phone in the last 72 h --> BroadcastReply, thanks
    no conversation --> the menu of active campaigns
    ASKING_NAME --name--> ASKING_ZIP --zip--> ASKING_CONSENT --yes--> RecordSignature, over
    ASKING_CONSENT --no--> polite goodbye, nothing signed
    "who is this?" to a question --> who is texting and why, then the question again
    a returning supporter with a known name and ZIP: keyword --> ASKING_CONSENT
    three unusable answers in a row --> how to start over, conversation over
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from conversations.model import (
    OPT_OUT_CONFIRMATION,
    BroadcastReply,
    CampaignScript,
    Catalog,
    Effect,
    EndSignup,
    EventKeyword,
    Inbound,
    PendingSignup,
    Phones,
    Places,
    Progress,
    RecordOptIn,
    RecordOptOut,
    RecordSignature,
    RememberLanguage,
    Reply,
    SignUp,
    Stage,
    State,
    SupporterFacts,
    Turn,
    VolunteerFacts,
)
from conversations.parsing import (
    MAX_NAME_LENGTH,
    AddCommand,
    first_name,
    is_help,
    is_opt_in,
    is_who_question,
    looks_spanish,
    normalize_word,
    parse_add,
    parse_name,
    parse_yes_no,
    parse_zip,
)
from conversations.revocation import Revocation, revocation

# Unusable answers in a row before the bot stops asking and says how to start over.
MAX_MISSES = 3
# The words Twilio's Advanced Opt-Out answers by itself, when the organization turned it on.
CARRIER_KEYWORDS = {
    "STOP": frozenset(
        {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"}
    ),
    "START": frozenset({"start", "unstop", "yes"}),
    "HELP": frozenset({"help", "info"}),
}
SPANISH_COMMANDS = frozenset(
    {"parar", "alto", "cancelar", "basta", "detener", "ayuda", "reanudar", "comenzar"}
)
LANGUAGE_CHOICES = {
    "español": "es",
    "espanol": "es",
    "spanish": "es",
    "en español": "es",
    "english": "en",
    "inglés": "en",
    "ingles": "en",
    "in english": "en",
}


@dataclass(frozen=True)
class World:
    """The facts the engine may read, loaded by the caller before each step."""

    catalog: Catalog
    supporter: SupporterFacts
    places: Places
    # True when Twilio's Advanced Opt-Out answers STOP, START and HELP itself.
    carrier_answers_keywords: bool = False
    phones: Phones | None = None  # needed for a volunteer's ADD
    event: EventKeyword | None = None  # the event whose keyword this text is
    volunteer: VolunteerFacts | None = None  # the volunteer registered at this phone, for an ADD
    pending_signup: PendingSignup | None = None  # the latest sign-up awaiting this phone's YES
    # The campaign whose broadcast last reached this phone, within the last 72 hours.
    recent_broadcast: str | None = None


def step(state: State | None, inbound: Inbound, world: World) -> Turn:
    """Advance one phone's conversation by one inbound text."""
    word = normalize_word(inbound.body)
    language = _language(state, world.supporter)
    revoked = revocation(inbound.body, world.catalog.cause)
    if inbound.carrier_keyword == "STOP" and revoked is None:
        revoked = Revocation()
    if word in SPANISH_COMMANDS or looks_spanish(inbound.body) or (revoked and revoked.spanish):
        language = "es"  # PARAR, AYUDA, "no me escriban más": answer in the words' language
    if revoked is not None:
        # Before any name or ZIP is read: "wrong number" is no name, "stop 30303" no ZIP.
        return _opt_out(inbound, word, language, revoked, world)
    if world.supporter.opted_out:
        return _while_opted_out(inbound, word, language, world)
    if inbound.carrier_keyword == "HELP" or is_help(inbound.body):
        campaign = None if state is None else world.catalog.by_slug(state.campaign)
        helped = _answer(inbound, word, "HELP", world, _help(language, world, campaign))
        return Turn(state, helped + _question_waiting(state, world, inbound.channel))
    command = parse_add(inbound.body)
    # "add me" from a supporter is no command; from a volunteer it earns the how-to.
    if command is not None and (world.volunteer is not None or command.phone):
        return Turn(state, _add(command, language, world))
    if word in LANGUAGE_CHOICES:
        return _switch_language(state, LANGUAGE_CHOICES[word], world, inbound.channel)
    started = world.catalog.by_keyword(word)
    if started is not None:
        return _start(*started, world, inbound.channel)
    event_campaign = _event_campaign(world)
    if event_campaign is not None and world.event is not None:
        # An event keyword is English, as FACES is: a supporter's own language still wins.
        return _start(event_campaign, "en", world, inbound.channel, source=world.event.slug)
    campaign = None if state is None else world.catalog.by_slug(state.campaign)
    if state is None or campaign is None or not campaign.active:
        if world.pending_signup is not None:
            return _on_signup_answer(inbound, world.pending_signup, world)
        if world.recent_broadcast is not None:
            return _broadcast_reply(world.recent_broadcast, language, world)
        return _menu(world.catalog, language)
    learned: tuple[Effect, ...] = ()
    if state.language != "es" and looks_spanish(inbound.body):
        # They answer in Spanish: carry on in Spanish from this answer on.
        state, learned = replace(state, language="es"), (RememberLanguage("es"),)
    if is_who_question(inbound.body):
        turn = _who_we_are(state, campaign, world, inbound.channel)
    else:
        turn = _HANDLERS[state.stage](state, inbound, campaign, world)
    return Turn(turn.state, learned + turn.effects)


def _language(state: State | None, supporter: SupporterFacts) -> str:
    if state is not None:
        return state.language
    return supporter.language or "en"


def _answer(
    inbound: Inbound, word: str, keyword: str, world: World, reply: Reply
) -> tuple[Effect, ...]:
    """The reply to a STOP, START or HELP, unless Twilio has already sent its own."""
    carrier_answered = inbound.carrier_keyword == keyword or (
        world.carrier_answers_keywords and word in CARRIER_KEYWORDS[keyword]
    )
    return () if carrier_answered else (reply,)


def _opt_out(inbound: Inbound, word: str, language: str, revoked: Revocation, world: World) -> Turn:
    ended: tuple[Effect, ...] = ()
    if world.pending_signup is not None:
        ended = (EndSignup(world.pending_signup.id, "stopped"),)
    recorded = RecordOptOut(language, reassigned=revoked.wrong_number)
    if world.supporter.opted_out:
        # One confirmation per opt-out (FCC 24-24): a second STOP is heard, not answered. It is
        # still recorded: an older text handled late must not undo it (opted_out_later).
        return Turn(None, (recorded, *ended))
    organization = world.catalog.organization
    key = "wrong_number" if revoked.wrong_number else "opted_out"
    text = organization.say(language, key, organization=organization.name)
    reply = Reply(text, kind=OPT_OUT_CONFIRMATION)
    return Turn(None, (recorded, *ended, *_answer(inbound, word, "STOP", world, reply)))


def _while_opted_out(inbound: Inbound, word: str, language: str, world: World) -> Turn:
    # Nothing goes to a phone that said stop, but the ways back in and HELP. Only a clear
    # opt-in counts: "ok", "👍" or "sí" after a stop acknowledge it, they ask for nothing.
    organization = world.catalog.organization
    if not world.supporter.opted_out_later and (
        inbound.carrier_keyword == "START" or is_opt_in(inbound.body) or word == "yes"
    ):
        opted_in = organization.say(
            language,
            "opted_in",
            organization=organization.name,
            messages_per_month=world.catalog.messages_per_month,
        )
        reply = Reply(opted_in)
        return Turn(None, (RecordOptIn(language), *_answer(inbound, word, "START", world, reply)))
    if inbound.carrier_keyword == "HELP" or is_help(inbound.body):
        return Turn(None, _answer(inbound, word, "HELP", world, _help(language, world)))
    started = world.catalog.by_keyword(word)
    campaign = started[0] if started else _event_campaign(world)
    if campaign is not None:
        # A keyword asks to sign: say how, once per keyword texted. START is the way back in
        # that Twilio and the carriers know too, so it stays the only one.
        language = started[1] if started and started[1] != "en" else language
        text = organization.say(
            language,
            "opted_out_keyword",
            organization=organization.name,
            keyword=campaign.keyword_in(language),
        )
        return Turn(None, (Reply(text),))
    return Turn(None)


def _event_campaign(world: World) -> CampaignScript | None:
    """The open campaign of the event whose keyword this text is, if any."""
    if world.event is None:
        return None
    campaign = world.catalog.by_slug(world.event.campaign)
    return campaign if campaign is not None and campaign.active else None


def _help(language: str, world: World, campaign: CampaignScript | None = None) -> Reply:
    # The frequency of the campaign under way; outside one, the most any campaign promises.
    organization = world.catalog.organization
    per_month = (
        world.catalog.messages_per_month if campaign is None else campaign.messages_per_month
    )
    return Reply(
        organization.say(
            language,
            "help",
            organization=organization.name,
            support_contact=organization.support_contact,
            messages_per_month=per_month,
            privacy_url=organization.privacy_url,
        )
    )


def _question_waiting(state: State | None, world: World, channel: str) -> tuple[Effect, ...]:
    """The question this phone has yet to answer, asked again; nothing if none waits."""
    campaign = None if state is None else world.catalog.by_slug(state.campaign)
    if state is not None and campaign is not None and campaign.active:
        return _ask_again(state, campaign, world, channel).effects
    if state is None and world.pending_signup is not None:
        return (Reply(world.pending_signup.disclosure),)
    return ()


def _who_we_are(state: State, campaign: CampaignScript, world: World, channel: str) -> Turn:
    """Answer "who is this?": who texts and why, then the question again, no miss counted."""
    organization = world.catalog.organization
    text = organization.say(
        state.language,
        "who_we_are",
        organization=organization.name,
        support_contact=organization.support_contact,
        keyword=campaign.keyword_in(state.language),
    )
    turn = _ask_again(state, campaign, world, channel)
    return Turn(turn.state, (Reply(text), *turn.effects))


def _switch_language(state: State | None, language: str, world: World, channel: str) -> Turn:
    remember = RememberLanguage(language)
    campaign = None if state is None else world.catalog.by_slug(state.campaign)
    if state is None or campaign is None:
        turn = _menu(world.catalog, language)
        return Turn(turn.state, (remember, *turn.effects))
    turn = _ask_again(replace(state, language=language), campaign, world, channel)
    return Turn(turn.state, (remember, *turn.effects))


def _ask_again(state: State, campaign: CampaignScript, world: World, channel: str) -> Turn:
    """Ask the question the conversation waits on, in its language, as first asked."""
    if state.stage is Stage.ASKING_NAME:
        return Turn(state, (Reply(campaign.say(state.language, "intro")),))
    if state.stage is Stage.ASKING_ZIP:
        name = first_name(state.name or "")
        return Turn(state, (Reply(campaign.say(state.language, "ask_zip", first_name=name)),))
    returning = state.name == world.supporter.name and state.place == world.supporter.place
    return _ask_consent(state, campaign, world, channel, returning=returning)


def _start(
    campaign: CampaignScript,
    keyword_language: str,
    world: World,
    channel: str,
    source: str | None = None,
) -> Turn:
    supporter = world.supporter
    # CARAS asks for Spanish; FACES means "as before", so a supporter's own language wins.
    language = keyword_language if keyword_language != "en" else supporter.language or "en"
    learned: tuple[Effect, ...] = ()
    if language != (supporter.language or "en"):
        learned = (RememberLanguage(language),)
    if campaign.slug in supporter.signed:
        text = campaign.say(
            language,
            "already_signed",
            first_name=first_name(supporter.name or ""),
            keyword=campaign.keyword_in(language),
        )
        return Turn(None, (*learned, Reply(text)))
    if supporter.name and supporter.place:
        state = State(
            Stage.ASKING_CONSENT,
            campaign.slug,
            language,
            supporter.name,
            supporter.place,
            source=source,
        )
        turn = _ask_consent(state, campaign, world, channel, returning=True)
        steps = _progress(campaign, "keyword", "name", "zip")
    else:
        state = State(Stage.ASKING_NAME, campaign.slug, language, source=source)
        turn = Turn(state, (Reply(campaign.say(language, "intro")),))
        steps = _progress(campaign, "keyword")
    return Turn(turn.state, learned + steps + turn.effects)


def _progress(campaign: CampaignScript, *steps: str) -> tuple[Effect, ...]:
    return tuple(Progress(campaign.slug, step) for step in steps)


def _on_name(state: State, inbound: Inbound, campaign: CampaignScript, world: World) -> Turn:
    name = parse_name(inbound.body)
    if name is None:
        if len(" ".join(inbound.body.split())) > MAX_NAME_LENGTH:
            limit = world.catalog.organization.say(
                state.language, "name_too_long", limit=MAX_NAME_LENGTH
            )
            return _miss(state, campaign, limit)
        return _miss(state, campaign, campaign.say(state.language, "name_again"))
    text = campaign.say(state.language, "ask_zip", first_name=first_name(name))
    state = replace(state, stage=Stage.ASKING_ZIP, name=name, misses=0)
    return Turn(state, (*_progress(campaign, "name"), Reply(text)))


def _on_zip(state: State, inbound: Inbound, campaign: CampaignScript, world: World) -> Turn:
    zip_code = parse_zip(inbound.body)
    if zip_code is None:
        return _miss(state, campaign, campaign.say(state.language, "zip_again"))
    place = world.places.lookup(zip_code)
    if place is None:
        return _miss(
            state, campaign, campaign.say(state.language, "zip_unknown", zip_code=zip_code)
        )
    place_known = replace(state, place=place)
    turn = _ask_consent(place_known, campaign, world, inbound.channel, returning=False)
    return Turn(turn.state, _progress(campaign, "zip") + turn.effects)


def _ask_consent(
    state: State, campaign: CampaignScript, world: World, channel: str, *, returning: bool
) -> Turn:
    assert state.name is not None and state.place is not None
    # On WhatsApp in WhatsApp's words: "texts" and "msg rates" promise SMS.
    disclosure = campaign.say_on(
        channel,
        state.language,
        "consent_returning" if returning else "consent",
        organization=world.catalog.organization.name,
        name=state.name,
        zip_code=state.place.zip_code,
        city=state.place.city,
        state=state.place.state,
        messages_per_month=campaign.messages_per_month,
    )
    state = replace(state, stage=Stage.ASKING_CONSENT, disclosure=disclosure, misses=0)
    return Turn(state, (Reply(disclosure),))


def _on_consent(state: State, inbound: Inbound, campaign: CampaignScript, world: World) -> Turn:
    answer = parse_yes_no(inbound.body)
    if answer is None:
        return _miss(state, campaign, campaign.say(state.language, "consent_again"))
    if not answer:
        keyword = campaign.keyword_in(state.language)
        return Turn(None, (Reply(campaign.say(state.language, "declined", keyword=keyword)),))
    assert state.name is not None and state.place is not None and state.disclosure is not None
    signature = RecordSignature(
        campaign=campaign.slug,
        name=state.name,
        place=state.place,
        disclosure=state.disclosure,
        language=state.language,
        source=state.source,
    )
    # No reply here: the worker texts the confirmation, with the signer's number, once stored.
    return Turn(None, (*_progress(campaign, "signed"), signature))


def _add(command: AddCommand, language: str, world: World) -> tuple[Effect, ...]:
    """A volunteer's ADD: check what they typed, then ask the person to confirm."""
    organization = world.catalog.organization

    def answer(key: str, **values: object) -> tuple[Effect, ...]:
        return (Reply(organization.say(language, key, **values)),)

    volunteer = world.volunteer
    if volunteer is None:
        return answer("signup_volunteers_only")
    campaign = world.catalog.by_slug(volunteer.campaign)
    if campaign is None or not campaign.active:
        return answer("signup_closed")
    if not (command.phone and command.name and command.zip_code):
        return answer("signup_usage")
    assert world.phones is not None, "an ADD needs the Phones lookup"
    checked = world.phones.check(command.phone)
    if checked.number is None:
        key = "signup_not_mobile" if checked.problem == "not_mobile" else "signup_invalid_phone"
        return answer(key, phone=command.phone)
    name, zip_code = parse_name(command.name), parse_zip(command.zip_code)
    if name is None or zip_code is None:
        return answer("signup_usage")
    place = world.places.lookup(zip_code)
    if place is None:
        return answer("signup_unknown_zip", zip_code=zip_code)
    # The answer to the volunteer depends on the database (signed already?): the effect's.
    return (SignUp(checked.number, name, place, volunteer.event, volunteer.id, language),)


def _on_signup_answer(inbound: Inbound, pending: PendingSignup, world: World) -> Turn:
    """The person a volunteer signed up answers the confirmation request."""
    campaign = world.catalog.by_slug(pending.campaign)
    if campaign is None or not campaign.active:
        return _menu(world.catalog, pending.language)
    language = pending.language
    if is_who_question(inbound.body):
        organization = world.catalog.organization
        who = organization.say(
            language,
            "who_we_are_signup",
            organization=organization.name,
            support_contact=organization.support_contact,
        )
        return Turn(None, (Reply(who), Reply(pending.disclosure)))
    answer = parse_yes_no(inbound.body)
    if answer is None:
        return Turn(None, (Reply(campaign.say(language, "consent_again")),))
    if not answer:
        declined = campaign.say(language, "declined", keyword=campaign.keyword_in(language))
        return Turn(None, (EndSignup(pending.id, "declined"), Reply(declined)))
    signature = RecordSignature(
        campaign=campaign.slug,
        name=pending.name,
        place=pending.place,
        disclosure=pending.disclosure,
        language=language,
        source=pending.source,
        signup=pending.id,
    )
    # As with a YES in the conversation, the worker texts the confirmation once stored.
    return Turn(None, (signature,))


def _miss(state: State, campaign: CampaignScript, reask: str) -> Turn:
    misses = state.misses + 1
    if misses >= MAX_MISSES:
        keyword = campaign.keyword_in(state.language)
        return Turn(None, (Reply(campaign.say(state.language, "give_up", keyword=keyword)),))
    return Turn(replace(state, misses=misses), (Reply(reask),))


def _broadcast_reply(slug: str, language: str, world: World) -> Turn:
    """An answer to a broadcast ("YES" to an RSVP): filed with it, and thanked, not menued."""
    campaign = world.catalog.by_slug(slug)
    if campaign is None:
        return _menu(world.catalog, language)
    thanks = Reply(campaign.say(language, "broadcast_reply"))
    return Turn(None, (BroadcastReply(campaign.slug), thanks))


def _menu(catalog: Catalog, language: str) -> Turn:
    organization = catalog.organization
    campaigns = catalog.active
    if not campaigns:
        text = organization.say(language, "menu_empty", organization=organization.name)
        return Turn(None, (Reply(text),))
    lines = " ".join(
        organization.say(
            language,
            "menu_line",
            keyword=c.keyword_in(language),
            call=c.say(language, "menu_call"),
        )
        for c in campaigns
    )
    text = organization.say(language, "menu", organization=organization.name, lines=lines)
    return Turn(None, (Reply(text),))


_HANDLERS: dict[Stage, Callable[[State, Inbound, CampaignScript, World], Turn]] = {
    Stage.ASKING_NAME: _on_name,
    Stage.ASKING_ZIP: _on_zip,
    Stage.ASKING_CONSENT: _on_consent,
}
