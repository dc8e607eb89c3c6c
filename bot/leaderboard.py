"""Field leaderboards: sign-ups entered and confirmed, per event and per volunteer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from store.models import Campaign, Event, Signup, Volunteer


@dataclass(frozen=True)
class Standing:
    """One event's, or one volunteer's at one event, sign-ups; the best first."""

    event: str  # the event's slug
    event_name: str
    volunteer: str | None  # the volunteer's name; None on an event's own row
    volunteer_phone: str | None
    entered: int
    confirmed: int

    @property
    def rate(self) -> float | None:
        """The share of entered sign-ups that the person confirmed with YES."""
        return self.confirmed / self.entered if self.entered else None


_CONFIRMED = func.coalesce(func.sum(case((Signup.status == "confirmed", 1), else_=0)), 0)


def by_event(session: Session, campaign: str | None = None) -> list[Standing]:
    """Every event (of one campaign, if named), with no sign-ups too."""
    query = (
        select(Event.slug, Event.name, func.count(Signup.id), _CONFIRMED)
        .outerjoin(Signup, Signup.event_id == Event.id)
        .group_by(Event.id, Event.slug, Event.name)
    )
    if campaign is not None:
        query = query.join(Campaign, Campaign.id == Event.campaign_id).where(
            Campaign.slug == campaign
        )
    return _ranked(session, query, per_volunteer=False)


def by_volunteer(session: Session, event: str | None = None) -> list[Standing]:
    """Every volunteer's sign-ups at each event they entered some (at one event, if named)."""
    query = (
        select(
            Event.slug,
            Event.name,
            func.count(Signup.id),
            _CONFIRMED,
            Volunteer.name,
            Volunteer.phone,
        )
        .join(Event, Event.id == Signup.event_id)
        .join(Volunteer, Volunteer.id == Signup.volunteer_id)
        .group_by(Event.id, Event.slug, Event.name, Volunteer.id, Volunteer.name, Volunteer.phone)
    )
    if event is not None:
        query = query.where(Event.slug == event)
    return _ranked(session, query, per_volunteer=True)


def _ranked(session: Session, query: Select[Any], *, per_volunteer: bool) -> list[Standing]:
    standings = [
        Standing(
            event=row[0],
            event_name=row[1],
            volunteer=row[4] if per_volunteer else None,
            volunteer_phone=row[5] if per_volunteer else None,
            entered=int(row[2]),
            confirmed=int(row[3]),
        )
        for row in session.execute(query)
    ]
    return sorted(standings, key=lambda s: (-s.confirmed, -s.entered, s.event, s.volunteer or ""))
