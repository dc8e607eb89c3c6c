"""A campaign's tallies: signatures per day and per state, and people at each funnel step.

Counting a million signatures on every page view would take seconds, so what has been counted
is kept in Redis and each view counts only what came since. That is exact because neither
signatures nor funnel steps are ever changed or removed:

- Signatures are taken in signer-number order. The worker numbers them under the campaign's
  row lock, so once the campaign's count reads N, signers 1..N are all stored, whatever their
  ``signed_at`` (a signature stored late keeps the time of its YES, so time cannot be used).
- Funnel steps are stamped when their webhook's transaction writes them; those older than
  ``SETTLE`` are kept, the newer ones counted on each view.

The kept part names the id of its last signer: if that signer is not in the database (it was
replaced or restored), everything is counted again. It expires a week after it was last used.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import ColumnElement, Date, cast, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from store.models import FunnelStep, Signature, Supporter

SETTLE = timedelta(minutes=10)  # far longer than a webhook's transaction
KEPT_FOR = timedelta(days=7)
EPOCH = datetime.fromisoformat("2000-01-01T00:00:00+00:00")


@dataclass
class Tally:
    """Counts over some span of a campaign's life."""

    days: Counter[str] = field(default_factory=Counter)  # ISO date (UTC) -> signatures
    states: Counter[str] = field(default_factory=Counter)  # state code, "" unknown -> signatures
    steps: Counter[str] = field(default_factory=Counter)  # funnel step -> people

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.days + other.days, self.states + other.states, self.steps + other.steps)


@dataclass(frozen=True)
class Kept:
    """What is already counted: signers up to ``number`` and funnel steps before ``through``."""

    number: int
    last_signature_id: int | None
    through: datetime
    tally: Tally


def campaign_tally(
    session: Session, redis: Redis, campaign_id: int, signature_count: int, now: datetime
) -> Tally:
    """Count the campaign up to ``now``: what is kept in Redis, and what came since."""
    key = f"dashboard:tally:{campaign_id}"
    kept = _read(redis, key)
    if kept is None or not _still_true(session, campaign_id, signature_count, now, kept):
        kept = Kept(0, None, EPOCH, Tally())
    through = max(now - SETTLE, kept.through)
    done = Kept(
        signature_count,
        _signature_id(session, campaign_id, signature_count),
        through,
        kept.tally
        + count_signatures(session, campaign_id, kept.number, signature_count)
        + count_steps(session, campaign_id, kept.through, through),
    )
    _write(redis, key, done)
    return done.tally + count_steps(session, campaign_id, through, None)


def count_signatures(session: Session, campaign_id: int, after: int, upto: int) -> Tally:
    """Count signers ``after < number <= upto`` by day signed and by state, in SQL."""
    tally = Tally()
    if upto <= after:
        return tally
    day = _utc_day(session, Signature.signed_at)
    rows = session.execute(
        select(day, Supporter.state, func.count())
        .join(Supporter, Supporter.id == Signature.supporter_id)
        .where(
            Signature.campaign_id == campaign_id,
            Signature.number > after,
            Signature.number <= upto,
        )
        .group_by(day, Supporter.state)
    )
    for signed_on, state, n in rows:
        tally.days[str(signed_on)] += n
        tally.states[state or ""] += n
    return tally


def count_steps(
    session: Session, campaign_id: int, since: datetime, until: datetime | None
) -> Tally:
    """Count the funnel steps reached ``since <= time < until``, in SQL."""
    query = (
        select(FunnelStep.step, func.count())
        .where(FunnelStep.campaign_id == campaign_id, FunnelStep.reached_at >= since)
        .group_by(FunnelStep.step)
    )
    if until is not None:
        query = query.where(FunnelStep.reached_at < until)
    tally = Tally()
    for step, n in session.execute(query):
        tally.steps[step] += n
    return tally


def _still_true(
    session: Session, campaign_id: int, signature_count: int, now: datetime, kept: Kept
) -> bool:
    """Whether the kept counts still describe this database, at this time."""
    if kept.number > signature_count or kept.through > now:
        return False  # the database was replaced by a smaller one, or the clock went back
    return _signature_id(session, campaign_id, kept.number) == kept.last_signature_id


def _signature_id(session: Session, campaign_id: int, number: int) -> int | None:
    if number == 0:
        return None
    return session.scalar(
        select(Signature.id).where(Signature.campaign_id == campaign_id, Signature.number == number)
    )


def _utc_day(session: Session, moment: InstrumentedAttribute[datetime]) -> ColumnElement[date]:
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", moment), Date)
    return func.date(moment)  # SQLite stores times as UTC text


def _read(redis: Redis, key: str) -> Kept | None:
    try:
        raw = redis.get(key)
    except RedisError:
        return None  # No Redis: count everything, slower but right.
    if raw is None:
        return None
    data = json.loads(raw)
    tally = Tally(Counter(data["days"]), Counter(data["states"]), Counter(data["steps"]))
    through = datetime.fromisoformat(data["through"])
    return Kept(data["number"], data["last_signature_id"], through, tally)


def _write(redis: Redis, key: str, kept: Kept) -> None:
    data = {
        "number": kept.number,
        "last_signature_id": kept.last_signature_id,
        "through": kept.through.isoformat(),
        "days": kept.tally.days,
        "states": kept.tally.states,
        "steps": kept.tally.steps,
    }
    with contextlib.suppress(RedisError):  # not kept: the next view counts again
        redis.set(key, json.dumps(data), ex=KEPT_FOR)
