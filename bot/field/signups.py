"""Sign-ups with double opt-in: a volunteer enters someone, who signs only by replying YES.

The volunteer holding the clipboard is not the person giving consent, so an entry is only
a request: the person gets a text naming the organization, the rates, STOP and HELP, and
how often we write; their YES (``bot.inbound.pipeline``, the engine's pending sign-up) makes it a
signature attributed to the event and the volunteer. No YES, no signature.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import bindparam, exists, select, update
from sqlalchemy.orm import Session

from bot.lib.phones import PhoneNumbers, dashed
from bot.outbound.jobs import send_message
from bot.services import Services
from conversations import Catalog, PendingSignup, Place, Places, SignUp
from conversations.parsing import first_name, parse_name, parse_zip
from store.models import (
    CAMPAIGNS,
    EVENTS,
    SIGNATURES,
    SIGNUPS,
    SUPPORTERS,
    Campaign,
    ConsentEvent,
    Event,
    Message,
    Signature,
    Signup,
    Supporter,
    User,
    Volunteer,
)
from store.records import supporter_row
from store.statuses import (
    Channel,
    ConsentKind,
    Direction,
    EnteredVia,
    MessageKind,
    MessageStatus,
    SignupStatus,
)

# A YES long after the request more likely answers something else; ask again instead.
SIGNUP_VALID = timedelta(days=30)
PHONES = PhoneNumbers()


class Outcome(StrEnum):
    """What became of one entry."""

    ADDED = "added"
    ALREADY_SIGNED = "already_signed"
    ALREADY_WAITING = "already_waiting"  # a request is out already, waiting for their YES
    OPTED_OUT = "opted_out"
    CLOSED = "closed"  # the event's campaign is no longer open
    INVALID_PHONE = "invalid_phone"
    NOT_MOBILE = "not_mobile"
    INVALID_NAME = "invalid_name"
    INVALID_ZIP = "invalid_zip"


# The answer a volunteer gets by text, for each outcome the database decides.
_ANSWERS = {
    Outcome.ADDED: "signup_sent",
    Outcome.ALREADY_SIGNED: "signup_already_signed",
    Outcome.ALREADY_WAITING: "signup_already_waiting",
    Outcome.OPTED_OUT: "signup_opted_out",
    Outcome.CLOSED: "signup_closed",
}


@dataclass(frozen=True)
class Entry:
    """One person as a volunteer entered them, checked: E.164 phone, name, real ZIP."""

    phone: str
    name: str
    place: Place
    language: str = "en"


@dataclass(frozen=True)
class Added:
    """An entry's outcome; ``message`` is the confirmation request to queue after commit."""

    outcome: Outcome
    signup: Signup | None = None
    message: Message | None = None


def read_entry(
    places: Places, phone: str, name: str, zip_code: str, language: str = "en"
) -> Entry | Outcome:
    """Check what a form or a paper sheet gives for one person; an Outcome says what is wrong."""
    checked = PHONES.check(phone)
    if checked.number is None:
        return Outcome.NOT_MOBILE if checked.problem == "not_mobile" else Outcome.INVALID_PHONE
    clean_name = parse_name(name)
    if clean_name is None:
        return Outcome.INVALID_NAME
    digits = zip_code.strip()
    if digits.isdigit() and 3 <= len(digits) < 5:
        digits = digits.zfill(5)  # spreadsheets drop New England's leading zeros: 2134
    zip5 = parse_zip(digits)
    place = places.lookup(zip5) if zip5 else None
    if place is None:
        return Outcome.INVALID_ZIP
    return Entry(checked.number, clean_name, place, language)


def add_signup(
    session: Session,
    catalog: Catalog,
    entry: Entry,
    *,
    event: Event,
    volunteer: Volunteer | None,
    entered_via: str,
    now: datetime,
    prompted: bool,
    entered_by: int | None = None,
) -> Added:
    """Store a sign-up and its confirmation request (pending), unless there is no need.

    ``prompted``: the person asked for it just now, in person (a form or an ADD at the
    event), so the request is an answer and quiet hours do not hold it; a paper sheet
    typed in later is not. ``entered_by``: the dashboard account that typed it in, if any.
    """
    campaign_slug = session.scalar(select(Campaign.slug).where(Campaign.id == event.campaign_id))
    campaign = catalog.by_slug(campaign_slug or "")
    if campaign is None or not campaign.active:
        return Added(Outcome.CLOSED)
    supporter = session.scalar(select(Supporter).where(Supporter.phone == entry.phone))
    if supporter is not None and supporter.opted_out_at is not None:
        return Added(Outcome.OPTED_OUT)
    if supporter is not None and session.scalar(
        select(Signature.id).where(
            Signature.supporter_id == supporter.id, Signature.campaign_id == event.campaign_id
        )
    ):
        return Added(Outcome.ALREADY_SIGNED)
    waiting = session.scalar(
        select(Signup.id)
        .join(Event, Event.id == Signup.event_id)
        .where(
            Signup.phone == entry.phone,
            Signup.status == SignupStatus.AWAITING_YES,
            Signup.created_at > now - SIGNUP_VALID,
            Event.campaign_id == event.campaign_id,
        )
    )
    if waiting is not None:
        return Added(Outcome.ALREADY_WAITING)
    # Someone who chose Spanish with us before gets the request in Spanish.
    language = supporter.language if supporter is not None else entry.language
    organization = catalog.organization
    disclosure = campaign.say(
        language,
        "confirm_signup",
        first_name=first_name(entry.name),
        volunteer=(
            first_name(volunteer.name)
            if volunteer is not None
            else organization.say(language, "signup_someone")
        ),
        event=event.name,
        organization=organization.name,
        name=entry.name,
        zip_code=entry.place.zip_code,
        city=entry.place.city,
        state=entry.place.state,
        messages_per_month=campaign.messages_per_month,
    )
    message = Message(
        direction=Direction.OUT,
        phone=entry.phone,
        channel=Channel.SMS,
        body=disclosure,
        status=MessageStatus.PENDING,
        kind=MessageKind.SIGNUP_REQUEST,
        campaign_id=event.campaign_id,
        in_reply_at=now if prompted else None,
    )
    session.add(message)
    session.flush()
    signup = Signup(
        phone=entry.phone,
        name=entry.name,
        zip_code=entry.place.zip_code,
        city=entry.place.city,
        state=entry.place.state,
        time_zone=entry.place.time_zone,
        language=language,
        event_id=event.id,
        volunteer_id=None if volunteer is None else volunteer.id,
        # The leaderboard credits a form's entries to its account; a sheet's, to its volunteer.
        entered_by=entered_by if entered_via == EnteredVia.FORM else None,
        entered_via=entered_via,
        status=SignupStatus.AWAITING_YES,
        disclosure=disclosure,
        message_id=message.id,
        created_at=now,
    )
    session.add(signup)
    if supporter is None:
        supporter = supporter_row(session, entry.phone)
        supporter.language = language
    session.flush()
    # Why the bot texted a phone that never texted it: the consent log's record of the request,
    # kept when the message itself is deleted (``flask retention``).
    session.add(
        ConsentEvent(
            supporter_id=supporter.id,
            phone=entry.phone,
            campaign_id=event.campaign_id,
            kind=ConsentKind.SIGNUP_REQUEST,
            channel=message.channel,
            disclosure=disclosure,
            source=event.slug,
            entered_by=_entered_by(session, entered_via, volunteer, entered_by),
            created_at=now,
        )
    )
    return Added(Outcome.ADDED, signup, message)


ENTERED_VIA: dict[str, str] = {
    EnteredVia.FORM: "sign-up form",
    EnteredVia.SMS: "text (ADD)",
    EnteredVia.PAPER: "paper sheet",
}


def _entered_by(
    session: Session, entered_via: str, volunteer: Volunteer | None, account_id: int | None
) -> str:
    """Who entered a person, in words: the way, then the volunteer and the field account."""
    who = [ENTERED_VIA.get(entered_via, entered_via)]
    if volunteer is not None:
        who.append(f"volunteer {volunteer.name} ({volunteer.phone})")
    if account_id is not None:
        who.append(f"account {session.scalar(select(User.email).where(User.id == account_id))}")
    return ", ".join(who)


def sign_up_in_person(
    services: Services,
    *,
    event: str,
    volunteer_id: int | None,
    phone: str,
    name: str,
    zip_code: str,
    language: str = "en",
    entered_by: int | None = None,
) -> Added:
    """Sign someone up from the field form, and text them the confirmation request."""
    entry = read_entry(services.places, phone, name, zip_code, language)
    if isinstance(entry, Outcome):
        return Added(entry)
    with services.db.begin() as session:
        row = session.scalars(select(Event).where(Event.slug == event)).one()
        volunteer = None if volunteer_id is None else session.get_one(Volunteer, volunteer_id)
        added = add_signup(
            session,
            services.catalog,
            entry,
            event=row,
            volunteer=volunteer,
            entered_via=EnteredVia.FORM,
            now=services.clock(),
            prompted=True,
            entered_by=entered_by,
        )
    if added.message is not None:
        services.enqueue(send_message, added.message.id)
    return added


def sign_up_by_text(
    session: Session, catalog: Catalog, effect: SignUp, now: datetime
) -> tuple[Added, str]:
    """Apply a volunteer's ADD: the sign-up, and the answer the volunteer gets."""
    event = session.scalars(select(Event).where(Event.slug == effect.event)).one()
    volunteer = session.get_one(Volunteer, effect.volunteer)
    entry = Entry(effect.phone, effect.name, effect.place)
    added = add_signup(
        session,
        catalog,
        entry,
        event=event,
        volunteer=volunteer,
        entered_via=EnteredVia.SMS,
        now=now,
        prompted=True,
    )
    answer = catalog.organization.say(
        effect.language,
        _ANSWERS[added.outcome],
        first_name=first_name(entry.name),
        phone=dashed(entry.phone),
    )
    return added, answer


# Built once: the webhook runs it for every text with no conversation open.
_PENDING_SIGNUP = (
    select(
        SIGNUPS.c.id,
        CAMPAIGNS.c.slug.label("campaign"),
        SIGNUPS.c.name,
        SIGNUPS.c.zip_code,
        SIGNUPS.c.city,
        SIGNUPS.c.state,
        SIGNUPS.c.time_zone,
        EVENTS.c.slug.label("event"),
        SIGNUPS.c.disclosure,
        SIGNUPS.c.language,
    )
    .join(EVENTS, EVENTS.c.id == SIGNUPS.c.event_id)
    .join(CAMPAIGNS, CAMPAIGNS.c.id == EVENTS.c.campaign_id)
    .where(
        SIGNUPS.c.phone == bindparam("phone"),
        SIGNUPS.c.status == SignupStatus.AWAITING_YES,
        SIGNUPS.c.created_at > bindparam("since"),
        ~exists().where(
            SIGNATURES.c.campaign_id == CAMPAIGNS.c.id,
            SIGNATURES.c.supporter_id == SUPPORTERS.c.id,
            SUPPORTERS.c.phone == bindparam("phone"),
        ),
    )
    .order_by(SIGNUPS.c.id.desc())
    .limit(1)
)


def pending_signup(session: Session, phone: str, now: datetime) -> PendingSignup | None:
    """The latest sign-up awaiting this phone's YES, for a campaign it has not signed."""
    since = now - SIGNUP_VALID
    found = session.execute(_PENDING_SIGNUP, {"phone": phone, "since": since}).first()
    if found is None:
        return None
    place = Place(found.zip_code, found.city, found.state, found.time_zone)
    return PendingSignup(
        found.id, found.campaign, found.name, place, found.event, found.disclosure, found.language
    )


def confirm_signup(session: Session, signup_id: int, consent: ConsentEvent) -> None:
    """The person said YES: the sign-up is confirmed by this consent event."""
    session.add(consent)
    session.flush()
    session.execute(
        update(Signup)
        .where(Signup.id == signup_id, Signup.status == SignupStatus.AWAITING_YES)
        .values(
            status=SignupStatus.CONFIRMED,
            consent_event_id=consent.id,
            answered_at=consent.created_at,
        )
    )


def end_signup(session: Session, signup_id: int, status: str, now: datetime) -> None:
    """The person said NO or STOP: the sign-up is over, with nothing signed."""
    session.execute(
        update(Signup)
        .where(Signup.id == signup_id, Signup.status == SignupStatus.AWAITING_YES)
        .values(status=status, answered_at=now)
    )
