"""Small reads and writes shared by the webhook, the jobs and the commands."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Insert, Table, bindparam, exists, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from conversations import CampaignScript, Place, SupporterFacts
from store.models import (
    CAMPAIGNS,
    SIGNATURES,
    SUPPORTERS,
    Campaign,
    ConsentEvent,
    FunnelStep,
    Supporter,
    utcnow,
)
from store.statuses import ConsentKind

# The webhook's statements are built once, with bound parameters: building one costs more
# CPU in Python than PostgreSQL spends running it.
_SUPPORTER_FACTS = (
    # The profile on every row, with one row per signed campaign (or one row, or none).
    select(
        SUPPORTERS.c.id,
        SUPPORTERS.c.name,
        SUPPORTERS.c.zip_code,
        SUPPORTERS.c.city,
        SUPPORTERS.c.state,
        SUPPORTERS.c.time_zone,
        SUPPORTERS.c.language,
        SUPPORTERS.c.opted_out_at,
        SUPPORTERS.c.reassigned_at,
        CAMPAIGNS.c.slug,
    )
    .outerjoin(SIGNATURES, SIGNATURES.c.supporter_id == SUPPORTERS.c.id)
    .outerjoin(CAMPAIGNS, CAMPAIGNS.c.id == SIGNATURES.c.campaign_id)
    .where(SUPPORTERS.c.phone == bindparam("phone"))
)
_PROFILE = ("name", "zip_code", "city", "state", "time_zone", "language")


def supporter_facts(
    session: Session, phone: str, received_at: datetime | None = None
) -> SupporterFacts:
    """What the engine may know about ``phone`` when its text of ``received_at`` is handled."""
    rows = session.execute(_SUPPORTER_FACTS, {"phone": phone}).all()
    if not rows:
        return SupporterFacts()
    supporter = rows[0]
    opted_out = supporter.opted_out_at is not None
    opted_out_later = opted_out and _stopped_since(session, supporter.id, received_at)
    if supporter.reassigned_at is not None:
        # A new owner: what we know of the phone is the last one's.
        return SupporterFacts(
            language=supporter.language, opted_out=opted_out, opted_out_later=opted_out_later
        )
    signed = {row.slug for row in rows if row.slug is not None}
    place = None
    if supporter.zip_code and supporter.city and supporter.state and supporter.time_zone:
        place = Place(supporter.zip_code, supporter.city, supporter.state, supporter.time_zone)
    return SupporterFacts(
        name=supporter.name,
        place=place,
        signed=frozenset(signed),
        language=supporter.language,
        opted_out=opted_out,
        opted_out_later=opted_out_later,
    )


def _stopped_since(session: Session, supporter_id: int, received_at: datetime | None) -> bool:
    """Say whether the phone asked to stop after its text of ``received_at`` came.

    A text handled late (spooled, stored behind a stuck turn) cannot undo a newer stop: not
    the one that opted the phone out, nor a STOP repeated since, each a consent event.
    """
    if received_at is None:
        return False
    newer = select(ConsentEvent.id).where(
        ConsentEvent.supporter_id == supporter_id,
        ConsentEvent.kind.in_((ConsentKind.OPT_OUT, ConsentKind.CARRIER_OPT_OUT)),
        ConsentEvent.created_at > received_at,
    )
    return bool(session.scalar(select(exists(newer))))


def supporter_row(session: Session, phone: str) -> Supporter:
    """The supporter for ``phone``, created on first need."""
    supporter = session.scalar(select(Supporter).where(Supporter.phone == phone))
    if supporter is None:
        supporter = Supporter(phone=phone, language="en")
        try:
            with session.begin_nested():
                session.add(supporter)
        except IntegrityError:
            # Created meanwhile by another process: use that row.
            supporter = session.scalars(select(Supporter).where(Supporter.phone == phone)).one()
    return supporter


def save_profile(session: Session, phone: str, name: str, place: Place, language: str) -> int:
    """Create or update the supporter for ``phone`` with what they told us; return its id."""
    row = {
        "phone": phone,
        "name": name,
        "zip_code": place.zip_code,
        "city": place.city,
        "state": place.state,
        "time_zone": place.time_zone,
        "language": language,
        "reassigned_at": None,  # the profile is the phone's owner's again
    }
    # created_at and updated_at take their defaults; an update keeps created_at.
    return int(session.execute(_upsert_profile(_dialect(session)), row).scalar_one())


def campaign_row(session: Session, campaign: CampaignScript) -> Campaign:
    """The database row for a campaign file, created on first use."""
    row = session.scalar(select(Campaign).where(Campaign.slug == campaign.slug))
    if row is None:
        row = Campaign(slug=campaign.slug, title=campaign.title, keyword=campaign.keyword)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            row = session.scalars(select(Campaign).where(Campaign.slug == campaign.slug)).one()
    row.title, row.keyword, row.active = campaign.title, campaign.keyword, campaign.active
    return row


def reach(session: Session, campaign_id: int, phone: str, step: str) -> None:
    """Note that ``phone`` reached ``step`` of a campaign's funnel; the first time counts."""
    values = {"campaign_id": campaign_id, "phone": phone, "step": step, "reached_at": utcnow()}
    insert_ignoring_duplicates(session, FunnelStep, values)


def insert_ignoring_duplicates(session: Session, model: Any, values: dict[str, Any]) -> bool:
    """Insert one row unless a unique constraint already holds it; say whether it went in."""
    statement = _insert_ignoring(_dialect(session), cast(Table, model.__table__))
    return session.execute(statement, values).first() is not None


@cache
def _insert_ignoring(dialect: str, table: Table) -> Insert:
    return _insert(dialect)(table).on_conflict_do_nothing().returning(table.c.id)


@cache
def _upsert_profile(dialect: str) -> Insert:
    # One upsert, where reading the row first and then inserting or updating it takes three.
    table = cast(Table, Supporter.__table__)
    statement = _insert(dialect)(table)
    changed = (*_PROFILE, "reassigned_at", "updated_at")
    changes = {column: statement.excluded[column] for column in changed}
    upsert = statement.on_conflict_do_update(index_elements=[table.c.phone], set_=changes)
    return cast(Insert, upsert.returning(table.c.id))


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _insert(dialect: str) -> Any:
    # The dialect's own INSERT, which knows ON CONFLICT.
    return postgresql_insert if dialect == "postgresql" else sqlite_insert
