"""Signing: the job that turns a recorded YES into a numbered signature and its confirmation."""

from __future__ import annotations

import logging

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.integrations import outbox, payloads
from bot.outbound.jobs import send_message
from bot.services import Services, services
from conversations.parsing import first_name
from store.models import Campaign, ConsentEvent, Message, Signature, Supporter
from store.statuses import Direction, MessageKind, MessageStatus

log = logging.getLogger(__name__)


def record_signature(consent_event_id: int) -> None:
    """Sign the campaign for the YES recorded in this consent event, then send the confirmation."""
    try:
        confirmation_id = _sign(services(), consent_event_id)
    except IntegrityError:
        # Another run of this job signed first; the unique constraint kept it to one, and that
        # run sends the confirmation (or the recovery sweep does, if it died).
        log.info("consent event %s was already signed", consent_event_id)
        return
    if confirmation_id is not None:
        # Sent here rather than by a job of its own: one job per signer, not two. A run that
        # died before this, or a retry after the carrier said "later", finds the signature
        # and its confirmation still pending, and sends it; the claim keeps it to one text.
        send_message(confirmation_id)


def _sign(svc: Services, consent_event_id: int) -> int | None:
    """Store the signature and its pending confirmation, once; return the confirmation's id."""
    with svc.db.begin() as session:
        # The event, its supporter and any signature already stored, in one round trip.
        event, supporter, signed, confirmation_id = session.execute(
            select(ConsentEvent, Supporter, Signature.id, Signature.confirmation_id)
            .join(Supporter, Supporter.id == ConsentEvent.supporter_id)
            .outerjoin(
                Signature,
                (Signature.campaign_id == ConsentEvent.campaign_id)
                & (Signature.supporter_id == ConsentEvent.supporter_id),
            )
            .where(ConsentEvent.id == consent_event_id)
        ).one()
        assert event.campaign_id is not None
        if signed is not None:
            return confirmation_id
        # The row lock this takes numbers signers exactly, even with many workers.
        number = session.execute(
            update(Campaign)
            .where(Campaign.id == event.campaign_id)
            .values(signature_count=Campaign.signature_count + 1)
            .returning(Campaign.signature_count, Campaign.slug)
        ).one()
        campaign = svc.catalog.by_slug(number.slug)
        assert campaign is not None
        confirmation = Message(
            direction=Direction.OUT,
            phone=supporter.phone,
            channel=event.channel,
            body=campaign.say(
                supporter.language,
                "confirmation",
                first_name=first_name(supporter.name or ""),
                number=f"{number.signature_count:,}",
                keyword=campaign.keyword_in(supporter.language),
            ),
            status=MessageStatus.PENDING,
            kind=MessageKind.CONFIRMATION,
            campaign_id=event.campaign_id,
            in_reply_at=event.created_at,
        )
        session.add(confirmation)
        session.flush()
        signature = Signature(
            campaign_id=event.campaign_id,
            supporter_id=event.supporter_id,
            consent_event_id=event.id,
            number=number.signature_count,
            signed_at=event.created_at,
            source=event.source or event.channel,
            consent_text=event.disclosure or "",
            message_sid=event.message_sid,
            confirmation_id=confirmation.id,
        )
        session.add(signature)
        session.flush()
        payload = payloads.signature_created(signature, supporter, number.slug)
        outbox.record(session, outbox.SIGNATURE_CREATED, payload, svc.clock())
        return confirmation.id
