"""RQ jobs. Each takes a row ID, runs inside the app context, and is safe to run twice."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.quiet_hours import next_send_time, parse_window, zones_for
from bot.senders import Outgoing, SendFailed
from bot.services import services
from bot.suppression import note_carrier_error, reason_to_skip
from conversations import Campaign as CampaignFile
from conversations.parsing import first_name
from store.models import Campaign, ConsentEvent, Message, Signature, Supporter
from store.statuses import advance

log = logging.getLogger(__name__)

# An answer sent this soon after the supporter's own text is a reply, not a message the
# organization starts, so quiet hours do not hold it.
PROMPT_REPLY = timedelta(minutes=10)
WHATSAPP_SESSION = timedelta(hours=24)


def record_signature(consent_event_id: int) -> None:
    """Sign the campaign for the YES recorded in this consent event, then queue the confirmation."""
    svc = services()
    try:
        with svc.db.begin() as session:
            event = session.get_one(ConsentEvent, consent_event_id)
            assert event.campaign_id is not None
            already = session.scalar(
                select(Signature.id).where(
                    Signature.campaign_id == event.campaign_id,
                    Signature.supporter_id == event.supporter_id,
                )
            )
            if already is not None:
                return
            # The row lock this takes numbers signers exactly, even with many workers.
            number = session.execute(
                update(Campaign)
                .where(Campaign.id == event.campaign_id)
                .values(signature_count=Campaign.signature_count + 1)
                .returning(Campaign.signature_count, Campaign.slug)
            ).one()
            supporter = session.get_one(Supporter, event.supporter_id)
            campaign = svc.catalog.by_slug(number.slug)
            assert campaign is not None
            confirmation = Message(
                direction="out",
                phone=supporter.phone,
                channel=event.channel,
                body=campaign.say(
                    supporter.language,
                    "confirmation",
                    first_name=first_name(supporter.name or ""),
                    number=f"{number.signature_count:,}",
                    keyword=campaign.keyword_in(supporter.language),
                ),
                status="pending",
                kind="confirmation",
                campaign_id=event.campaign_id,
                in_reply_at=event.created_at,
            )
            session.add(confirmation)
            session.flush()
            session.add(
                Signature(
                    campaign_id=event.campaign_id,
                    supporter_id=event.supporter_id,
                    consent_event_id=event.id,
                    number=number.signature_count,
                    signed_at=event.created_at,
                    source=event.channel,
                    consent_text=event.disclosure or "",
                    message_sid=event.message_sid,
                    confirmation_id=confirmation.id,
                )
            )
    except IntegrityError:
        # Another run of this job signed first; the unique constraint kept it to one.
        log.info("consent event %s was already signed", consent_event_id)
        return
    svc.enqueue(send_message, confirmation.id)


def send_message(message_id: int) -> None:
    """Send a stored outbound message, once: claim it, check it may go, call the carrier."""
    svc = services()
    now = svc.clock()
    with svc.db.begin() as session:
        # Only one run can move the row from pending to sending: that run sends.
        message = session.scalar(
            update(Message)
            .where(Message.id == message_id, Message.status == "pending")
            .values(status="sending", attempts=Message.attempts + 1)
            .returning(Message)
        )
        if message is None:
            return  # Sent, being sent, held or skipped by another run.
        decision = _may_send(session, message, now)
        if isinstance(decision, Hold):
            message.status, message.send_after = "held", decision.until
            return
        if isinstance(decision, Skip):
            message.status, message.skip_reason = "skipped", decision.reason
            return
        outgoing = Outgoing(
            to=message.phone,
            body=message.body,
            channel=message.channel,
            status_callback=f"{svc.settings.public_base_url}/sms/status?message_id={message.id}",
            content_sid=decision.content_sid,
        )
    try:
        sent = svc.sender.send(outgoing)
    except SendFailed as failure:
        _failed(message_id, failure)
        return
    with svc.db.begin() as session:
        row = session.get_one(Message, message_id)
        row.sid = sent.sid
        row.status = advance(row.status, sent.status)


@dataclass(frozen=True)
class Go:
    content_sid: str | None = None  # set when only a WhatsApp template may go


@dataclass(frozen=True)
class Hold:
    until: datetime


@dataclass(frozen=True)
class Skip:
    reason: str


def _may_send(session: Session, message: Message, now: datetime) -> Go | Hold | Skip:
    """Apply, at the moment of sending, every rule about who may be texted and when."""
    svc = services()
    supporter = session.scalar(select(Supporter).where(Supporter.phone == message.phone))
    reason = reason_to_skip(supporter, message.channel)
    if reason is not None:
        return Skip(reason)
    prompt = message.in_reply_at is not None and now - message.in_reply_at <= PROMPT_REPLY
    if not prompt:
        zones = zones_for(supporter.time_zone if supporter else None, message.phone)
        opens = next_send_time(now, zones, parse_window(svc.settings.send_window))
        if opens is not None:
            return Hold(opens)
    if message.channel == "whatsapp" and not _in_whatsapp_session(session, message, now):
        campaign = _campaign_file(session, message.campaign_id)
        template = campaign.whatsapp_templates.get(message.kind or "") if campaign else None
        return Go(template) if template else Skip("whatsapp_window")
    return Go()


def _in_whatsapp_session(session: Session, message: Message, now: datetime) -> bool:
    # WhatsApp lets a business write freely for 24 hours after the person last wrote.
    last = session.scalar(
        select(func.max(Message.created_at)).where(
            Message.phone == message.phone,
            Message.direction == "in",
            Message.channel == "whatsapp",
        )
    )
    if last is None:
        return False
    if last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    return now - last < WHATSAPP_SESSION


def _campaign_file(session: Session, campaign_id: int | None) -> CampaignFile | None:
    if campaign_id is None:
        return None
    slug = session.scalar(select(Campaign.slug).where(Campaign.id == campaign_id))
    return services().catalog.by_slug(slug) if slug else None


def _failed(message_id: int, failure: SendFailed) -> None:
    svc = services()
    with svc.db.begin() as session:
        row = session.get_one(Message, message_id)
        if failure.retryable:
            row.status = "pending"  # RQ retries the job, or the recovery sweep requeues it.
        else:
            row.status, row.error_code = "failed", failure.code
            if failure.code is not None:
                note_carrier_error(session, row, failure.code, svc.clock())
    if failure.retryable:
        raise failure
    log.warning("message %s failed for good: %s", message_id, failure)
