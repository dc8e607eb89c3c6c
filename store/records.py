"""Small reads and writes shared by the webhook, the jobs and the commands."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from conversations import Campaign as CampaignFile
from conversations import Place
from conversations import Supporter as SupporterFacts
from store.models import Campaign, FunnelStep, Signature, Supporter, utcnow


def supporter_facts(session: Session, phone: str) -> SupporterFacts:
    """What the engine may know about ``phone``: profile and signed campaigns."""
    supporter = session.scalar(select(Supporter).where(Supporter.phone == phone))
    if supporter is None:
        return SupporterFacts()
    signed = session.scalars(
        select(Campaign.slug)
        .join(Signature, Signature.campaign_id == Campaign.id)
        .where(Signature.supporter_id == supporter.id)
    )
    place = None
    if supporter.zip_code and supporter.city and supporter.state and supporter.time_zone:
        place = Place(supporter.zip_code, supporter.city, supporter.state, supporter.time_zone)
    return SupporterFacts(
        name=supporter.name,
        place=place,
        signed=frozenset(signed),
        language=supporter.language,
        opted_out=supporter.opted_out_at is not None,
    )


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


def save_profile(session: Session, phone: str, name: str, place: Place, language: str) -> Supporter:
    """Create or update the supporter for ``phone`` with what they told us."""
    supporter = supporter_row(session, phone)
    supporter.name = name
    supporter.zip_code = place.zip_code
    supporter.city = place.city
    supporter.state = place.state
    supporter.time_zone = place.time_zone
    supporter.language = language
    return supporter


def campaign_row(session: Session, campaign: CampaignFile) -> Campaign:
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
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(model).values(**values).on_conflict_do_nothing().returning(model.id)
    return session.execute(statement).first() is not None
