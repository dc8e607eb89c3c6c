"""Volunteers: the phones allowed to sign people up by text at an event."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.field.events import EventError, event_by_slug
from bot.lib.phones import PhoneNumbers
from conversations import VolunteerFacts
from conversations.parsing import parse_name
from store.models import Campaign, Event, Volunteer, utcnow

PHONES = PhoneNumbers()


class VolunteerError(ValueError):
    """A volunteer cannot be registered as asked; the message says why."""


@dataclass(frozen=True)
class VolunteerRow:
    """A volunteer as the commands and pages list it."""

    phone: str
    name: str
    event: str
    removed: bool


def register_volunteer(session: Session, phone: str, *, name: str, event: str) -> Volunteer:
    """Let ``phone`` sign people up at ``event``; a known volunteer moves to that event."""
    checked = PHONES.check(phone)
    if checked.number is None:
        raise VolunteerError(f"{phone!r} is not a phone number that can get texts")
    clean_name = parse_name(name)
    if clean_name is None:
        raise VolunteerError(f"{name!r} does not look like a name")
    try:
        event_id = event_by_slug(session, event).id
    except EventError as error:
        raise VolunteerError(str(error)) from None
    volunteer = session.scalar(select(Volunteer).where(Volunteer.phone == checked.number))
    if volunteer is None:
        volunteer = Volunteer(phone=checked.number, name=clean_name, event_id=event_id)
        session.add(volunteer)
    volunteer.name, volunteer.event_id, volunteer.removed_at = clean_name, event_id, None
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
    """Every volunteer (of one event, if named), by name."""
    query = select(Volunteer, Event.slug).join(Event, Event.id == Volunteer.event_id)
    if event is not None:
        query = query.where(Event.slug == event)
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
