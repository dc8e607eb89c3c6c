"""Field leaderboards: sign-ups entered and confirmed, per event and per volunteer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, func, literal, select
from sqlalchemy.orm import Session

from store.models import Campaign, Event, Signup, User, Volunteer
from store.statuses import SignupStatus


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


_CONFIRMED = func.coalesce(func.sum(case((Signup.status == SignupStatus.CONFIRMED, 1), else_=0)), 0)


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
    # Sign-ups entered on the form count for the field account that entered them.
    by_account = (
        select(
            Event.slug,
            Event.name,
            func.count(Signup.id),
            _CONFIRMED,
            User.email,
            literal(None),
        )
        .join(Event, Event.id == Signup.event_id)
        .join(User, User.id == Signup.entered_by)
        .where(Signup.volunteer_id.is_(None))
        .group_by(Event.id, Event.slug, Event.name, User.id, User.email)
    )
    if event is not None:
        query = query.where(Event.slug == event)
        by_account = by_account.where(Event.slug == event)
    standings = _ranked(session, query, per_volunteer=True)
    return sorted(standings + _ranked(session, by_account, per_volunteer=True), key=_best_first)


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
    return sorted(standings, key=_best_first)


def _best_first(standing: Standing) -> tuple[int, int, str, str]:
    return (-standing.confirmed, -standing.entered, standing.event, standing.volunteer or "")
