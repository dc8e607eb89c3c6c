"""Who must not be texted, and what Twilio's error codes tell us about a phone.

Every send asks ``reason_to_skip`` first, so an opt-out is honoured where texts leave,
not only where audiences are chosen.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.integrations import outbox, payloads
from store.models import ConsentEvent, Message, Supporter
from store.statuses import FINAL, Channel, ConsentKind, Direction, MessageKind

OPTED_OUT = 21610  # "Attempt to send to unsubscribed recipient"
# The number can never take a text: invalid, not a mobile, unknown, a landline.
UNDELIVERABLE = {21211: "invalid", 21614: "not_mobile", 30005: "unknown", 30006: "landline"}
UNREACHABLE = 30003  # a phone switched off or out of coverage: only repeated failures count
UNREACHABLE_STRIKES = 3
WHATSAPP_WINDOW = 63016  # a free-form WhatsApp message outside the 24-hour window


def reason_to_skip(supporter: Supporter | None, message: Message) -> str | None:
    """Why ``message`` may not be sent to this supporter, or None."""
    if supporter is None:
        return None
    if supporter.opted_out_at is not None and not confirms_opt_out(message, supporter):
        return "opted_out"
    if message.channel == Channel.SMS and supporter.undeliverable_at is not None:
        return f"undeliverable:{supporter.undeliverable_reason}"
    return None


def confirms_opt_out(message: Message, supporter: Supporter) -> bool:
    """Say whether ``message`` confirms the supporter's standing opt-out: it goes, once.

    The confirmation of the latest stop request only (the opt-out is stamped with its time):
    one answered late, after a newer stop, is skipped, so a phone gets one confirmation.
    """
    return (
        message.kind == MessageKind.OPT_OUT_CONFIRMATION
        and supporter.opted_out_at is not None
        and message.in_reply_at is not None
        and message.in_reply_at >= supporter.opted_out_at
    )


def note_carrier_error(session: Session, message: Message, code: int, now: datetime) -> None:
    """Act on a Twilio error code a send or a status callback reported for ``message``."""
    if code == WHATSAPP_WINDOW:
        message.skip_reason = "whatsapp_window"
        return
    supporter = session.scalar(select(Supporter).where(Supporter.phone == message.phone))
    if supporter is None:
        return
    if code == OPTED_OUT and supporter.opted_out_at is None:
        supporter.opted_out_at = now
        session.add(
            ConsentEvent(
                supporter_id=supporter.id,
                phone=supporter.phone,
                campaign_id=message.campaign_id,
                kind=ConsentKind.CARRIER_OPT_OUT,
                channel=message.channel,
                message_sid=message.sid,
                created_at=now,
            )
        )
        opted_out = payloads.opt(supporter.phone, now, message.channel, "carrier")
        outbox.record(session, outbox.SUPPORTER_OPTED_OUT, opted_out, now)
    elif message.channel == Channel.SMS and (
        code in UNDELIVERABLE or (code == UNREACHABLE and _unreachable_again(session, message))
    ):
        supporter.undeliverable_at = supporter.undeliverable_at or now
        supporter.undeliverable_reason = UNDELIVERABLE.get(code, "unreachable")


def _unreachable_again(session: Session, message: Message) -> bool:
    # This failure and the finished sends just before it, to the same phone, all said
    # "unreachable"; one delivered text in between means the phone is only sometimes off.
    recent = session.scalars(
        select(Message.error_code)
        .where(
            Message.phone == message.phone,
            Message.direction == Direction.OUT,
            Message.channel == Channel.SMS,
            Message.status.in_(FINAL),
            Message.id != message.id,
        )
        .order_by(Message.id.desc())
        .limit(UNREACHABLE_STRIKES - 1)
    ).all()
    return len(recent) == UNREACHABLE_STRIKES - 1 and all(c == UNREACHABLE for c in recent)
