"""Find work that a lost job left unfinished and queue it again.

Redis may lose its queues and a worker may die mid-job; the database still says what is
owed: a YES (consent event) with no signature yet, a message still pending or stuck sending,
a broadcast whose scheduled time has come, or one planning or sending without its job.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from rq.job import JobStatus
from sqlalchemy import and_, exists, select, update

from bot.broadcasts.jobs import PLAN_TIMEOUT, plan_broadcast, send_broadcast_slice
from bot.campaigns.signing import record_signature
from bot.inbound.pipeline import REPLY_KINDS, answer_later
from bot.inbound.replay import answer_stored_text
from bot.integrations.pump import pump
from bot.outbound.jobs import send_message
from bot.services import BROADCASTS_QUEUE, Services
from store.models import Broadcast, ConsentEvent, Message, Signature
from store.statuses import BroadcastStatus, ConsentKind, Direction, MessageStatus

log = logging.getLogger("worker")
MAX_ATTEMPTS = 10
LOOKBACK = timedelta(days=3)


@dataclass(frozen=True)
class Requeued:
    signatures: int
    messages: int
    texts: int = 0
    # Jobs that ran at once (the embedded default runs them as they are queued) and failed.
    failed: tuple[str, ...] = ()


def requeue_unfinished(services: Services, now: datetime | None = None) -> Requeued:
    """Queue again every signature and send older than the grace period and not done."""
    now = now or services.clock()
    settled = now - timedelta(seconds=services.settings.recovery_grace)
    with services.db.begin() as session:
        stuck = session.execute(
            update(Message)
            .where(
                Message.direction == Direction.OUT,
                Message.status == MessageStatus.SENDING,
                Message.sid.is_(None),
                Message.kind.not_in(REPLY_KINDS),
                # Its job outlived any job's timeout: the worker died between the claim and
                # the carrier's answer. Sending again may duplicate it; not sending may lose it.
                Message.updated_at < now - timedelta(seconds=2 * services.settings.job_timeout),
            )
            .values(status=MessageStatus.PENDING)
            .returning(Message.id, Message.broadcast_id)
        ).all()
        # Held for quiet hours, and the recipient's window has opened. A broadcast's held
        # texts (maybe a million) are its slices' to return, in batches.
        due = session.scalars(
            update(Message)
            .where(
                Message.status == MessageStatus.HELD,
                Message.send_after <= now,
                Message.broadcast_id.is_(None),
            )
            .values(status=MessageStatus.PENDING)
            .returning(Message.id)
        ).all()
        unsigned = session.scalars(
            select(ConsentEvent.id).where(
                ConsentEvent.kind == ConsentKind.OPT_IN,
                ConsentEvent.created_at < settled,
                # Look back a bounded stretch, so a sweep stays cheap as the table grows.
                ConsentEvent.created_at > now - LOOKBACK,
                ~exists().where(
                    and_(
                        Signature.campaign_id == ConsentEvent.campaign_id,
                        Signature.supporter_id == ConsentEvent.supporter_id,
                    )
                ),
            )
        ).all()
        # Stored while Redis was away or the phone's turn was stuck, never answered.
        unanswered = session.scalars(
            select(Message.id).where(
                Message.direction == Direction.IN,
                Message.status == MessageStatus.UNPROCESSED,
                Message.created_at < settled,
            )
        ).all()
        unsent = session.scalars(
            select(Message.id).where(
                Message.direction == Direction.OUT,
                Message.status == MessageStatus.PENDING,
                Message.attempts < MAX_ATTEMPTS,
                Message.updated_at < settled,
                # A broadcast's texts go out at its sender's pace, by its slices, not one job each.
                Message.broadcast_id.is_(None),
            )
        ).all()
        # Scheduled broadcasts whose time has come.
        due_broadcasts = session.scalars(
            update(Broadcast)
            .where(Broadcast.status == BroadcastStatus.SCHEDULED, Broadcast.send_at <= now)
            .values(status=BroadcastStatus.PLANNING)
            .returning(Broadcast.id)
        ).all()
        planning = session.scalars(
            select(Broadcast.id).where(Broadcast.status == BroadcastStatus.PLANNING)
        ).all()
        # A sending broadcast's slice may have been lost with its worker, or its held texts'
        # window has opened; a canceled one may have unsent texts left to mark.
        sending = session.scalars(
            select(Broadcast.id).where(
                (Broadcast.status == BroadcastStatus.SENDING)
                | ((Broadcast.status == BroadcastStatus.CANCELED) & Broadcast.finished_at.is_(None))
            )
        ).all()
    queued = [
        *(services.enqueue(answer_stored_text, message_id) for message_id in unanswered),
        *(services.enqueue(record_signature, event_id) for event_id in unsigned),
    ]
    messages = {row.id for row in stuck if row.broadcast_id is None} | {*due, *unsent}
    queued += [services.enqueue(send_message, message_id) for message_id in messages]
    queued += [
        services.enqueue(plan_broadcast, broadcast_id, BROADCASTS_QUEUE, timeout=PLAN_TIMEOUT)
        for broadcast_id in {*due_broadcasts, *planning}
    ]
    queued += [
        services.enqueue(send_broadcast_slice, broadcast_id, BROADCASTS_QUEUE)
        for broadcast_id in {*sending, *(row.broadcast_id for row in stuck if row.broadcast_id)}
    ]
    failed = tuple(
        job.id
        for job in queued
        if job is not None and job.get_status(refresh=False) == JobStatus.FAILED
    )
    return Requeued(len(unsigned), len(messages), len(unanswered), failed)


def drain_spool(services: Services) -> int:
    """Answer the texts spooled while the database was away, oldest first."""
    return services.spool.drain(lambda text: answer_later(services, text))


def sweep_forever(app_services: Services, stop: threading.Event) -> None:
    """Drain the spool and hand events to integrations every second, and requeue
    unfinished work every RECOVERY_INTERVAL."""
    interval = app_services.settings.recovery_interval
    ticks = 0
    while not stop.is_set():
        try:
            if ticks % interval == 0:
                found = requeue_unfinished(app_services)
                if found.signatures or found.messages or found.texts:
                    log.warning("requeued %s", found)
            if len(app_services.spool):
                log.warning("answered %s spooled text(s)", drain_spool(app_services))
        except Exception:  # a sweep that fails (database still away) must not stop the next
            log.exception("recovery sweep failed")
        try:
            pump(app_services)
        except Exception:  # nor may integrations' trouble stop the texts' sweep
            log.exception("handing events to integrations failed")
        ticks += 1
        stop.wait(1)
