"""The words stored in the string columns that take one of a few values, and the order of an
outbound message's statuses, so a late callback never moves one back.

Each set is a ``StrEnum``: a member equals its string, so what is stored does not change and a
value read back as a plain string compares equal to its member.
"""

from __future__ import annotations

from enum import StrEnum


class MessageStatus(StrEnum):
    """``messages.status``: ours before and around the send, then Twilio's."""

    # An inbound text: answered, stored to answer later, or refused past the phone's budget.
    RECEIVED = "received"
    UNPROCESSED = "unprocessed"
    THROTTLED = "throttled"
    # An outbound text before the carrier has it.
    PENDING = "pending"
    SENDING = "sending"
    HELD = "held"  # for quiet hours, until send_after
    SKIPPED = "skipped"  # a rule said no; skip_reason says which
    # Twilio's words (https://www.twilio.com/docs/messaging/api/message-resource).
    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENT = "sent"
    RECEIVING = "receiving"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    READ = "read"
    CANCELED = "canceled"


class Direction(StrEnum):
    """``messages.direction``."""

    IN = "in"
    OUT = "out"


class MessageKind(StrEnum):
    """``messages.kind`` of an outbound text: why the bot sent it."""

    REPLY = "reply"
    # The one reply that confirms an opt-out: the send rules let it through to the opted-out
    # phone, once (conversations.model.OPT_OUT_CONFIRMATION is this word).
    OPT_OUT_CONFIRMATION = "opt_out_confirmation"
    CONFIRMATION = "confirmation"
    SIGNUP_REQUEST = "signup_request"
    BROADCAST = "broadcast"
    BROADCAST_TEST = "broadcast_test"


class Channel(StrEnum):
    """``channel`` of a message or consent event."""

    SMS = "sms"
    WHATSAPP = "whatsapp"


class ConsentKind(StrEnum):
    """``consent_events.kind``."""

    OPT_IN = "opt_in"
    OPT_OUT = "opt_out"
    OPT_BACK_IN = "opt_back_in"
    CARRIER_OPT_OUT = "carrier_opt_out"  # Twilio said the number opted out (error 21610)
    # Someone else entered the phone (a volunteer, a paper sheet) and the bot asked it to confirm.
    SIGNUP_REQUEST = "signup_request"


class BroadcastStatus(StrEnum):
    """``broadcasts.status``, from draft to done or canceled."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PLANNING = "planning"
    SENDING = "sending"
    PAUSED = "paused"
    DONE = "done"
    CANCELED = "canceled"


class SignupStatus(StrEnum):
    """``signups.status``: a sign-up for someone else waits for the person's YES."""

    AWAITING_YES = "awaiting_yes"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    STOPPED = "stopped"


class DeliveryStatus(StrEnum):
    """``webhook_deliveries.status`` and ``action_network_syncs.status``: a try, then the end."""

    PENDING = "pending"
    DELIVERED = "delivered"  # a webhook the receiver took
    DONE = "done"  # an Action Network sync it took
    FAILED = "failed"  # a day of tries went by
    CANCELED = "canceled"  # its subscription was removed


class EnteredVia(StrEnum):
    """``signups.entered_via``."""

    FORM = "form"
    SMS = "sms"
    PAPER = "paper"


# Twilio's statuses (and ours before the send), earliest first. Callbacks can arrive out of
# order, and before the API call that created the message has even returned. A phone that
# confirmed delivery had the text, whatever a late or replayed "failed" says: delivered
# outranks the failures, and only WhatsApp's "read" comes after it.
_ORDER: dict[str, int] = {
    MessageStatus.PENDING: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.ACCEPTED: 2,
    MessageStatus.SCHEDULED: 2,
    MessageStatus.QUEUED: 3,
    MessageStatus.SENT: 4,
    MessageStatus.RECEIVING: 4,
    MessageStatus.RECEIVED: 5,
    MessageStatus.UNDELIVERED: 5,
    MessageStatus.FAILED: 5,
    MessageStatus.CANCELED: 5,
    MessageStatus.DELIVERED: 6,
    MessageStatus.READ: 7,
}
FINAL = frozenset(s for s, rank in _ORDER.items() if rank >= 5)


def advance(current: str, reported: str) -> str:
    """The status to keep when ``reported`` arrives for a message that is ``current``."""
    if _ORDER.get(reported, -1) >= _ORDER.get(current, -1):
        return reported
    return current
