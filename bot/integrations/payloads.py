"""Each event's JSON, built from what the change already has in hand (no extra query).

docs/integrations.md shows every one; a field once published keeps its name and meaning.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from conversations.parsing import first_name
from store.models import Signature, Supporter, iso_utc


def split_name(name: str | None) -> tuple[str, str]:
    """A full name as (first, last): the greeting word, and every word after it."""
    words = (name or "").split()
    first = first_name(name or "")
    if not first:
        return "", ""
    at = next((i for i, word in enumerate(words) if word.strip(",") == first), 0)
    return first, " ".join(words[at + 1 :])


def person(supporter: Supporter) -> dict[str, Any]:
    """A supporter as every payload and the API show one."""
    first, last = split_name(supporter.name)
    return {
        "phone": supporter.phone,
        "name": supporter.name,
        "first_name": first,
        "last_name": last,
        "zip": supporter.zip_code,
        "city": supporter.city,
        "state": supporter.state,
        "language": supporter.language,
        "opted_out": supporter.opted_out_at is not None,
    }


def signature_created(signature: Signature, supporter: Supporter, campaign: str) -> dict[str, Any]:
    return {
        "signature": {
            "id": signature.id,
            "campaign": campaign,
            "number": signature.number,
            "signed_at": iso_utc(signature.signed_at),
            "source": signature.source,
        },
        "supporter": person(supporter),
    }


def opt(phone: str, at: datetime, channel: str, reason: str) -> dict[str, Any]:
    """An opt-out or opt-in: ``reason`` is keyword (they texted it) or carrier."""
    return {"phone": phone, "at": iso_utc(at), "channel": channel, "reason": reason}


def broadcast_reply(
    broadcast_id: int, campaign: str, phone: str, body: str, at: datetime
) -> dict[str, Any]:
    return {
        "broadcast_id": broadcast_id,
        "campaign": campaign,
        "phone": phone,
        "body": body,
        "received_at": iso_utc(at),
    }


def broadcast_finished(
    broadcast_id: int,
    campaign: str,
    status: str,
    started_at: datetime | None,
    finished_at: datetime,
) -> dict[str, Any]:
    return {
        "broadcast_id": broadcast_id,
        "campaign": campaign,
        "status": status,  # done, or canceled
        "started_at": None if started_at is None else iso_utc(started_at),
        "finished_at": iso_utc(finished_at),
    }
