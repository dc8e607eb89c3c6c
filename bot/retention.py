"""Forget old conversation texts, keeping the consent record and the signatures.

A text's words are kept only as long as they are useful (``MESSAGE_RETENTION_DAYS``); what a
person agreed to, when and in what words, lives in ``consent_events`` and ``signatures``
(``consent_text``, the YES's SID), which no deletion here touches. The rows that point at a
deleted message (a signature's confirmation, a sign-up's request) keep their own copy of what
matters and lose only the link.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update

from bot.services import Services
from store.models import Message, Signature, Signup
from store.statuses import MessageStatus

BATCH = 5000  # messages deleted per transaction: locks stay short on a busy table
# Work still owed keeps its row, however old: a text to answer, or one waiting to go. (A text
# "sending" a month on is no longer on its way: a TwiML reply whose report never came.)
UNFINISHED = (MessageStatus.UNPROCESSED, MessageStatus.PENDING, MessageStatus.HELD)


def delete_messages_before(svc: Services, cutoff: datetime) -> int:
    """Delete every finished message created before ``cutoff``; return how many went."""
    deleted = 0
    while True:
        with svc.db.begin() as session:
            # By id, oldest first: the old rows sit at the start of the primary key's index.
            ids = session.scalars(
                select(Message.id)
                .where(Message.created_at < cutoff, Message.status.not_in(UNFINISHED))
                .order_by(Message.id)
                .limit(BATCH)
            ).all()
            if not ids:
                return deleted
            session.execute(
                update(Signature)
                .where(Signature.confirmation_id.in_(ids))
                .values(confirmation_id=None)
            )
            session.execute(
                update(Signup).where(Signup.message_id.in_(ids)).values(message_id=None)
            )
            session.execute(delete(Message).where(Message.id.in_(ids)))
        deleted += len(ids)
