"""The petition conversation as a pure function: ``step(state, inbound, world) -> Turn``.

No I/O happens here (no database, Redis, clock or network): the caller loads the
state and the facts in ``World``, and applies the effects in the returned ``Turn``.

    no conversation --keyword--> ASKING_NAME --name--> ASKING_ZIP --zip--> ASKING_CONSENT
    ASKING_CONSENT --yes--> RecordSignature, conversation over
    ASKING_CONSENT --no--> polite goodbye, nothing signed
    a returning supporter with a known name and ZIP: keyword --> ASKING_CONSENT
    any stage --keyword--> starts that campaign over
    three unusable answers in a row --> how to start over, conversation over
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from conversations.model import (
    Campaign,
    Catalog,
    Inbound,
    Place,
    Places,
    RecordSignature,
    Reply,
    Stage,
    State,
    Supporter,
    Turn,
)
from conversations.parsing import first_name, normalize_word, parse_name, parse_yes_no, parse_zip

# Unusable answers in a row before the bot stops asking and says how to start over.
MAX_MISSES = 3


@dataclass(frozen=True)
class World:
    """The facts the engine may read, loaded by the caller before each step."""

    catalog: Catalog
    supporter: Supporter
    places: Places


def step(state: State | None, inbound: Inbound, world: World) -> Turn:
    """Advance one phone's conversation by one inbound text."""
    started = world.catalog.by_keyword(normalize_word(inbound.body))
    if started is not None:
        return _start(started, world)
    campaign = None if state is None else world.catalog.by_slug(state.campaign)
    if state is None or campaign is None or not campaign.active:
        return _menu(world.catalog, "en" if state is None else state.language)
    handler = _HANDLERS[state.stage]
    return handler(state, inbound, campaign, world)


def _start(campaign: Campaign, world: World) -> Turn:
    supporter, language = world.supporter, "en"
    if campaign.slug in supporter.signed:
        text = campaign.say(
            language,
            "already_signed",
            first_name=first_name(supporter.name or ""),
            keyword=campaign.keyword,
        )
        return Turn(None, (Reply(text),))
    if supporter.name and supporter.place:
        state = State(
            Stage.ASKING_CONSENT, campaign.slug, language, supporter.name, supporter.place
        )
        return _ask_consent(state, campaign, world, returning=True)
    state = State(Stage.ASKING_NAME, campaign.slug, language)
    return Turn(state, (Reply(campaign.say(language, "intro")),))


def _on_name(state: State, inbound: Inbound, campaign: Campaign, world: World) -> Turn:
    name = parse_name(inbound.body)
    if name is None:
        return _miss(state, campaign, campaign.say(state.language, "name_again"))
    text = campaign.say(state.language, "ask_zip", first_name=first_name(name))
    return Turn(replace(state, stage=Stage.ASKING_ZIP, name=name, misses=0), (Reply(text),))


def _on_zip(state: State, inbound: Inbound, campaign: Campaign, world: World) -> Turn:
    zip_code = parse_zip(inbound.body)
    if zip_code is None:
        return _miss(state, campaign, campaign.say(state.language, "zip_again"))
    place = world.places.lookup(zip_code)
    if place is None:
        return _miss(
            state, campaign, campaign.say(state.language, "zip_unknown", zip_code=zip_code)
        )
    return _ask_consent(replace(state, place=place), campaign, world, returning=False)


def _ask_consent(state: State, campaign: Campaign, world: World, *, returning: bool) -> Turn:
    assert state.name is not None and state.place is not None
    disclosure = campaign.say(
        state.language,
        "consent_returning" if returning else "consent",
        organization=world.catalog.organization.name,
        name=state.name,
        **_place_values(state.place),
        messages_per_month=campaign.messages_per_month,
    )
    state = replace(state, stage=Stage.ASKING_CONSENT, disclosure=disclosure, misses=0)
    return Turn(state, (Reply(disclosure),))


def _on_consent(state: State, inbound: Inbound, campaign: Campaign, world: World) -> Turn:
    answer = parse_yes_no(inbound.body)
    if answer is None:
        return _miss(state, campaign, campaign.say(state.language, "consent_again"))
    if not answer:
        return Turn(
            None, (Reply(campaign.say(state.language, "declined", keyword=campaign.keyword)),)
        )
    assert state.name is not None and state.place is not None and state.disclosure is not None
    signature = RecordSignature(
        campaign=campaign.slug,
        name=state.name,
        place=state.place,
        disclosure=state.disclosure,
        language=state.language,
    )
    # No reply here: the worker texts the confirmation, with the signer's number, once stored.
    return Turn(None, (signature,))


def _miss(state: State, campaign: Campaign, reask: str) -> Turn:
    misses = state.misses + 1
    if misses >= MAX_MISSES:
        text = campaign.say(state.language, "give_up", keyword=campaign.keyword)
        return Turn(None, (Reply(text),))
    return Turn(replace(state, misses=misses), (Reply(reask),))


def _menu(catalog: Catalog, language: str) -> Turn:
    organization = catalog.organization
    campaigns = catalog.active
    if not campaigns:
        text = organization.say(language, "menu_empty", organization=organization.name)
        return Turn(None, (Reply(text),))
    lines = " ".join(
        organization.say(
            language, "menu_line", keyword=c.keyword, call=c.say(language, "menu_call")
        )
        for c in campaigns
    )
    text = organization.say(language, "menu", organization=organization.name, lines=lines)
    return Turn(None, (Reply(text),))


def _place_values(place: Place) -> dict[str, str]:
    return {"zip_code": place.zip_code, "city": place.city, "state": place.state}


_HANDLERS = {
    Stage.ASKING_NAME: _on_name,
    Stage.ASKING_ZIP: _on_zip,
    Stage.ASKING_CONSENT: _on_consent,
}
