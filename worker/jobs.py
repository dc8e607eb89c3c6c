"""RQ jobs. Each takes a row ID, runs inside the app context, and is safe to run twice."""

from __future__ import annotations

import logging

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.senders import SendFailed
from bot.services import services
from conversations.parsing import first_name
from store.models import Campaign, ConsentEvent, Message, Signature, Supporter
from store.statuses import advance

log = logging.getLogger(__name__)


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
                    keyword=campaign.keyword,
                ),
                status="pending",
                kind="confirmation",
                campaign_id=event.campaign_id,
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
    """Send a stored outbound message, once: claim it, call the carrier, store its SID."""
    svc = services()
    with svc.db.begin() as session:
        # Only one run can move the row from pending to sending: that run sends.
        message = session.scalar(
            update(Message)
            .where(Message.id == message_id, Message.status == "pending")
            .values(status="sending", attempts=Message.attempts + 1)
            .returning(Message)
        )
    if message is None:
        return  # Sent, or being sent, by another run.
    callback = f"{svc.settings.public_base_url}/sms/status?message_id={message.id}"
    try:
        sent = svc.sender.send(message.phone, message.body, callback)
    except SendFailed as failure:
        with svc.db.begin() as session:
            row = session.get_one(Message, message_id)
            if failure.retryable:
                row.status = "pending"  # RQ retries the job, or the recovery sweep requeues it.
            else:
                row.status, row.error_code = "failed", failure.code
        if failure.retryable:
            raise
        log.warning("message %s failed for good: %s", message_id, failure)
        return
    with svc.db.begin() as session:
        row = session.get_one(Message, message_id)
        row.sid = sent.sid
        row.status = advance(row.status, sent.status)
