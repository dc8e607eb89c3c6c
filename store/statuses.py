"""The order of an outbound message's statuses, so a late callback never moves one back."""

from __future__ import annotations

# Twilio's statuses (and ours before the send), earliest first. Callbacks can arrive out of
# order, and before the API call that created the message has even returned. A phone that
# confirmed delivery had the text, whatever a late or replayed "failed" says: delivered
# outranks the failures, and only WhatsApp's "read" comes after it.
_ORDER = {
    "pending": 0,
    "sending": 1,
    "accepted": 2,
    "scheduled": 2,
    "queued": 3,
    "sent": 4,
    "receiving": 4,
    "received": 5,
    "undelivered": 5,
    "failed": 5,
    "canceled": 5,
    "delivered": 6,
    "read": 7,
}
FINAL = frozenset(s for s, rank in _ORDER.items() if rank >= 5)


def advance(current: str, reported: str) -> str:
    """The status to keep when ``reported`` arrives for a message that is ``current``."""
    if _ORDER.get(reported, -1) >= _ORDER.get(current, -1):
        return reported
    return current
