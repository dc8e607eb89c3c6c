"""One supporter's record for the dashboard: profile, signatures, consent and conversation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import Campaign, ConsentEvent, Message, Signature, Supporter

CONVERSATION_LIMIT = 1000  # texts shown; a phone that sent more is a flood, not a conversation


@dataclass(frozen=True)
class History:
    supporter: Supporter
    signatures: list[tuple[Signature, Campaign]]
    consent: list[tuple[ConsentEvent, str | None]]  # each event and its campaign's keyword
    messages: list[Message]  # oldest first
    earlier_messages: int  # how many older texts are not shown


def history(session: Session, supporter_id: int) -> History | None:
    """Everything the bot knows of one supporter, each part from its own indexed query."""
    supporter = session.get(Supporter, supporter_id)
    if supporter is None:
        return None
    signatures = session.execute(
        select(Signature, Campaign)
        .join(Campaign, Campaign.id == Signature.campaign_id)
        .where(Signature.supporter_id == supporter_id)
        .order_by(Signature.id)
    ).all()
    consent = session.execute(
        select(ConsentEvent, Campaign.keyword)
        .outerjoin(Campaign, Campaign.id == ConsentEvent.campaign_id)
        .where(ConsentEvent.phone == supporter.phone)
        .order_by(ConsentEvent.id)
    ).all()
    # WhatsApp texts are stored under the same E.164 phone, so one query finds both channels.
    newest = session.scalars(
        select(Message)
        .where(Message.phone == supporter.phone)
        .order_by(Message.id.desc())
        .limit(CONVERSATION_LIMIT + 1)
    ).all()
    return History(
        supporter=supporter,
        signatures=[(s, c) for s, c in signatures],
        consent=[(e, keyword) for e, keyword in consent],
        messages=list(reversed(newest[:CONVERSATION_LIMIT])),
        earlier_messages=_older(session, supporter.phone, newest),
    )


def _older(session: Session, phone: str, newest: Sequence[Message]) -> int:
    if len(newest) <= CONVERSATION_LIMIT:
        return 0
    oldest_shown = newest[CONVERSATION_LIMIT - 1].id
    older = select(func.count()).where(Message.phone == phone, Message.id < oldest_shown)
    return session.scalar(older) or 0
