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
    phone: str
    supporter: Supporter | None  # None: the phone texted, but no profile was kept
    signatures: list[tuple[Signature, Campaign]]
    consent: list[tuple[ConsentEvent, str | None]]  # each event and its campaign's keyword
    messages: list[Message]  # oldest first
    earlier_messages: int  # how many older texts are not shown


def history(session: Session, supporter_id: int) -> History | None:
    """Everything the bot knows of one supporter, each part from its own indexed query."""
    supporter = session.get(Supporter, supporter_id)
    if supporter is None:
        return None
    return _history(session, supporter.phone, supporter)


def history_of_phone(session: Session, phone: str) -> History | None:
    """What a phone texted and was sent, with its profile if one was kept; None if nothing.

    Someone who texted a keyword and stopped, or gave a name and ZIP and then said NO, has
    texts but no profile: they are found here all the same.
    """
    supporter = session.scalar(select(Supporter).where(Supporter.phone == phone))
    found = _history(session, phone, supporter)
    return found if supporter is not None or found.messages else None


def _history(session: Session, phone: str, supporter: Supporter | None) -> History:
    signatures = (
        session.execute(
            select(Signature, Campaign)
            .join(Campaign, Campaign.id == Signature.campaign_id)
            .where(Signature.supporter_id == supporter.id)
            .order_by(Signature.id)
        ).all()
        if supporter is not None
        else []
    )
    consent = session.execute(
        select(ConsentEvent, Campaign.keyword)
        .outerjoin(Campaign, Campaign.id == ConsentEvent.campaign_id)
        .where(ConsentEvent.phone == phone)
        .order_by(ConsentEvent.id)
    ).all()
    # WhatsApp texts are stored under the same E.164 phone, so one query finds both channels.
    newest = session.scalars(
        select(Message)
        .where(Message.phone == phone)
        .order_by(Message.id.desc())
        .limit(CONVERSATION_LIMIT + 1)
    ).all()
    return History(
        phone=phone,
        supporter=supporter,
        signatures=[(s, c) for s, c in signatures],
        consent=[(e, keyword) for e, keyword in consent],
        messages=list(reversed(newest[:CONVERSATION_LIMIT])),
        earlier_messages=_older(session, phone, newest),
    )


def _older(session: Session, phone: str, newest: Sequence[Message]) -> int:
    if len(newest) <= CONVERSATION_LIMIT:
        return 0
    oldest_shown = newest[CONVERSATION_LIMIT - 1].id
    older = select(func.count()).where(Message.phone == phone, Message.id < oldest_shown)
    return session.scalar(older) or 0
