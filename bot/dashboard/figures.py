"""The figures on a campaign's page, each counted by the database, never row by row here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from redis import Redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.dashboard.tallies import campaign_tally
from store.models import Campaign, Signature, Supporter

FUNNEL = (
    ("keyword", "Texted the keyword"),
    ("name", "Gave a name"),
    ("zip", "Gave a ZIP code"),
    ("signed", "Said YES and signed"),
)
WEEKLY_AFTER_DAYS = 92  # a longer campaign is charted by week: bars stay wide enough to read


@dataclass(frozen=True)
class FunnelStepCount:
    step: str
    label: str
    people: int
    drop_off: float | None  # the share of the step before who did not reach this one


@dataclass(frozen=True)
class RecentSigner:
    supporter_id: int
    phone: str
    name: str | None
    city: str | None
    state: str | None
    signed_at: datetime


@dataclass(frozen=True)
class CampaignFigures:
    signers: int
    periods: list[tuple[date, int]]  # signatures per day (or per week, from its Monday)
    weekly: bool
    states: list[tuple[str, int]]  # most signers first; "" is unknown
    funnel: list[FunnelStepCount]
    opted_out: int

    @property
    def opt_out_rate(self) -> float | None:
        return self.opted_out / self.signers if self.signers else None


def campaign_figures(
    session: Session, redis: Redis, campaign: Campaign | None, now: datetime
) -> CampaignFigures:
    """Everything the campaign page shows but its recent signers; zeros before its first text."""
    if campaign is None:
        return CampaignFigures(0, [], False, [], funnel({}), 0)
    tally = campaign_tally(session, redis, campaign.id, campaign.signature_count, now)
    per_day = {date.fromisoformat(day): n for day, n in tally.days.items()}
    weekly = bool(per_day) and (now.date() - min(per_day)).days > WEEKLY_AFTER_DAYS
    return CampaignFigures(
        signers=campaign.signature_count,
        periods=periods(per_day, now.date(), weekly),
        weekly=weekly,
        states=sorted(tally.states.items(), key=lambda item: (-item[1], item[0])),
        funnel=funnel(tally.steps),
        opted_out=opted_out_signers(session, campaign.id),
    )


def periods(per_day: dict[date, int], today: date, weekly: bool) -> list[tuple[date, int]]:
    """Every day (or week) from the first signature to today, with zeros where none came."""
    if not per_day:
        return []
    if weekly:
        by_week: dict[date, int] = {}
        for day, n in per_day.items():
            monday = day - timedelta(days=day.weekday())
            by_week[monday] = by_week.get(monday, 0) + n
        per_day, today, step = by_week, today - timedelta(days=today.weekday()), 7
    else:
        step = 1
    first, last = min(per_day), max(today, max(per_day))
    span = (last - first).days // step
    return [
        (first + timedelta(days=i * step), per_day.get(first + timedelta(days=i * step), 0))
        for i in range(span + 1)
    ]


def funnel(steps: dict[str, int]) -> list[FunnelStepCount]:
    """The funnel's steps in order, each with its drop-off from the step before."""
    rows: list[FunnelStepCount] = []
    before = 0
    for step, label in FUNNEL:
        people = steps.get(step, 0)
        drop = 1 - people / before if before else None
        rows.append(FunnelStepCount(step, label, people, drop))
        before = people
    return rows


def opted_out_signers(session: Session, campaign_id: int) -> int:
    """Signers of the campaign who have since opted out of texts."""
    # Starts from the few opted-out supporters (a partial index) and probes each signature.
    return (
        session.scalar(
            select(func.count())
            .select_from(Supporter)
            .join(Signature, Signature.supporter_id == Supporter.id)
            .where(Signature.campaign_id == campaign_id, Supporter.opted_out_at.is_not(None))
        )
        or 0
    )


def recent_signers(session: Session, campaign_id: int, limit: int = 20) -> list[RecentSigner]:
    """The campaign's latest signers, newest first."""
    rows = session.execute(
        select(Supporter, Signature.signed_at)
        .join(Signature, Signature.supporter_id == Supporter.id)
        .where(Signature.campaign_id == campaign_id)
        .order_by(Signature.id.desc())
        .limit(limit)
    )
    return [
        RecentSigner(s.id, s.phone, s.name, s.city, s.state, signed_at) for s, signed_at in rows
    ]
