"""Volunteers: the phones allowed to sign people up by text at an event."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.field.events import EventError, event_by_slug
from bot.lib.phones import PhoneNumbers
from conversations import VolunteerFacts
from conversations.parsing import parse_name
from store.models import Campaign, Event, Volunteer, VolunteerEvent, utcnow

PHONES = PhoneNumbers()


class VolunteerError(ValueError):
    """A volunteer cannot be registered as asked; the message says why."""


class AlreadyVolunteering(VolunteerError):
    """The phone volunteers at another event: ask before its ADD texts count for this one."""


@dataclass(frozen=True)
class VolunteerRow:
    """A volunteer as the commands and pages list it: ``event`` is the one ADD counts for."""

    phone: str
    name: str
    event: str
    removed: bool


def register_volunteer(
    session: Session, phone: str, *, name: str, event: str, move: bool = False
) -> Volunteer:
    """Let ``phone`` sign people up at ``event``.

    A phone that volunteers at another event is not moved unless ``move`` says so (the
    organizer was asked): then its ADD texts count for ``event`` from now on, it keeps its
    name, and its past sign-ups keep the event and the volunteer they were made under.
    """
    checked = PHONES.check(phone)
    if checked.number is None:
        raise VolunteerError(f"{phone!r} is not a phone number that can get texts")
    clean_name = parse_name(name)
    if clean_name is None:
        raise VolunteerError(f"{name!r} does not look like a name")
    try:
        found = event_by_slug(session, event)
    except EventError as error:
        raise VolunteerError(str(error)) from None
    volunteer = session.scalar(select(Volunteer).where(Volunteer.phone == checked.number))
    if volunteer is None:
        volunteer = Volunteer(phone=checked.number, name=clean_name, event_id=found.id)
        session.add(volunteer)
        session.flush()
    elif volunteer.event_id != found.id and volunteer.removed_at is None and not move:
        serving = session.scalar(select(Event.name).where(Event.id == volunteer.event_id))
        raise AlreadyVolunteering(
            f"{volunteer.name} ({checked.number}) already volunteers at {serving}; "
            f"confirm, and their ADD texts count for {found.name} from now on "
            f"(their past sign-ups stay with {serving})"
        )
    volunteer.event_id, volunteer.removed_at = found.id, None
    serves = select(VolunteerEvent).where(
        VolunteerEvent.volunteer_id == volunteer.id, VolunteerEvent.event_id == found.id
    )
    if session.scalar(serves) is None:
        session.add(VolunteerEvent(volunteer_id=volunteer.id, event_id=found.id))
    session.flush()
    return volunteer


def remove_volunteer(session: Session, phone: str) -> bool:
    """Stop ``phone`` signing people up; its past sign-ups keep its name. False if unknown."""
    checked = PHONES.check(phone)
    volunteer = session.scalar(select(Volunteer).where(Volunteer.phone == checked.number))
    if volunteer is None or volunteer.removed_at is not None:
        return False
    volunteer.removed_at = utcnow()
    return True


def list_volunteers(session: Session, event: str | None = None) -> list[VolunteerRow]:
    """Every volunteer (who serves or served one event, if named), by name."""
    query = select(Volunteer, Event.slug).join(Event, Event.id == Volunteer.event_id)
    if event is not None:
        served = (
            select(VolunteerEvent.volunteer_id)
            .join(Event, Event.id == VolunteerEvent.event_id)
            .where(Event.slug == event)
        )
        query = query.where(Volunteer.id.in_(served))
    rows = session.execute(query.order_by(Volunteer.name, Volunteer.id))
    return [VolunteerRow(v.phone, v.name, slug, v.removed_at is not None) for v, slug in rows]


def volunteer_facts(session: Session, phone: str) -> VolunteerFacts | None:
    """The volunteer registered at ``phone``, for the engine; None if there is none."""
    found = session.execute(
        select(Volunteer.id, Volunteer.name, Event.slug, Campaign.slug)
        .join(Event, Event.id == Volunteer.event_id)
        .join(Campaign, Campaign.id == Event.campaign_id)
        .where(Volunteer.phone == phone, Volunteer.removed_at.is_(None))
    ).first()
    return None if found is None else VolunteerFacts(*found)
