"""The events outbox: one row per event, written in the transaction of the change it reports.

Writing is one INSERT that the caller's transaction carries: the event exists exactly when the
change does. The worker hands events on after the commit (``bot.integrations.pump``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from store.models import OUTBOX_EVENTS

SIGNATURE_CREATED = "signature.created"
SUPPORTER_OPTED_OUT = "supporter.opted_out"
SUPPORTER_OPTED_IN = "supporter.opted_in"
BROADCAST_REPLY = "broadcast.reply"
BROADCAST_FINISHED = "broadcast.finished"
KINDS = (
    SIGNATURE_CREATED,
    SUPPORTER_OPTED_OUT,
    SUPPORTER_OPTED_IN,
    BROADCAST_REPLY,
    BROADCAST_FINISHED,
)

# Built once: an opt-out and a broadcast reply write it on the webhook's path.
_INSERT = insert(OUTBOX_EVENTS)


def record(session: Session, kind: str, payload: dict[str, Any], at: datetime) -> None:
    """Add an event to ``session``'s transaction: it is handed on only if that commits."""
    session.execute(
        _INSERT,
        {"kind": kind, "payload": json.dumps(payload, separators=(",", ":")), "created_at": at},
    )
