"""Hand new events on and queue the integration work that is due: the worker's sweep runs it.

Polling here, rather than a job queued by each change, keeps texting free of it: the webhook
writes one outbox row and nothing more. Each pass claims its rows in one short transaction
(``SKIP LOCKED``, so workers sweeping at once share the work), and queues a job per due
delivery or sync on the ``integrations`` queue, the last a worker listens to. A due row is
leased while its job waits: queued again only if that job was lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.integrations import action_network, attempts, webhooks
from bot.services import INTEGRATIONS_QUEUE, Services
from store.models import ActionNetworkSync, OutboxEvent, WebhookDelivery
from store.statuses import DeliveryStatus

BATCH = 200  # events, and due rows of each kind, taken in one pass


@dataclass(frozen=True)
class Pumped:
    events: int
    deliveries: int
    syncs: int


def pump(svc: Services) -> Pumped:
    """Fan new events out to subscriptions and Action Network; queue the due work."""
    now = svc.clock()
    with svc.db.begin() as session:
        new = (
            select(OutboxEvent.id)
            .where(OutboxEvent.dispatched_at.is_(None))
            .order_by(OutboxEvent.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        claimed = session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id.in_(new))
            .values(dispatched_at=now)
            .returning(OutboxEvent.id, OutboxEvent.kind, OutboxEvent.payload)
        ).all()
        events = sorted(claimed, key=lambda event: event.id)
        if events:
            webhooks.fan_out(session, events, now)
            action_network.fan_out(session, events, now)
        deliveries = _lease_due(session, WebhookDelivery, now)
        syncs = _lease_due(session, ActionNetworkSync, now)
    for delivery_id in deliveries:
        svc.enqueue(webhooks.deliver_webhook, delivery_id, INTEGRATIONS_QUEUE)
    for sync_id in syncs:
        svc.enqueue(action_network.sync_action_network, sync_id, INTEGRATIONS_QUEUE)
    return Pumped(len(events), len(deliveries), len(syncs))


def _lease_due(
    session: Session, model: type[WebhookDelivery] | type[ActionNetworkSync], now: datetime
) -> Sequence[int]:
    due = (
        select(model.id)
        .where(model.status == DeliveryStatus.PENDING, model.next_attempt_at <= now)
        .order_by(model.next_attempt_at)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    return session.scalars(
        update(model)
        .where(model.id.in_(due), model.status == DeliveryStatus.PENDING)
        .values(next_attempt_at=now + attempts.LEASE)
        .returning(model.id)
    ).all()
