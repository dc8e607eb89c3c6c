"""The texts the pipeline passes around: one inbound as the carrier gave it, one reply."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from store.models import utcnow
from store.statuses import Channel


@dataclass(frozen=True)
class InboundText:
    """A text as the carrier delivered it: who sent it, on what channel, and its SID."""

    phone: str  # E.164
    body: str
    sid: str
    channel: str = Channel.SMS
    carrier_keyword: str | None = None  # Twilio's OptOutType: STOP, START or HELP
    received_at: datetime = field(default_factory=utcnow)

    def __post_init__(self) -> None:
        # PostgreSQL text cannot hold NUL, and no carrier sends one (GSM's 0x00 is "@").
        if "\x00" in self.body:
            object.__setattr__(self, "body", self.body.replace("\x00", ""))


@dataclass(frozen=True)
class OutboundReply:
    """A reply to send back at once; ``message_id`` is its stored row."""

    message_id: int
    body: str
