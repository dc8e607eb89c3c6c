"""Outbound webhooks: subscriptions, their deliveries, and the job that sends one.

A delivery is one event for one subscription. The job signs and POSTs it; a receiver that
answers 2xx has it, anything else (or no answer) is tried again with backoff for a day
(``attempts``). Every delivery stays in the log with the receiver's last status code.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import Row, insert, select, update
from sqlalchemy.orm import Session

from bot.integrations import attempts, outbox, signing
from bot.services import INTEGRATIONS_QUEUE, Services, services
from store.models import OutboxEvent, WebhookDelivery, WebhookSubscription, iso_utc
from store.statuses import DeliveryStatus

USER_AGENT = "petition-bot-webhooks"
LOG_LIMIT = 50


class WebhookError(ValueError):
    """A subscription cannot be made or found as asked; the text says why."""


@dataclass(frozen=True)
class Subscription:
    id: int
    url: str
    events: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True)
class Delivery:
    """A line of the delivery log."""

    id: int
    url: str
    event: str
    event_id: int
    status: str
    attempts: int
    response_code: int | None
    error: str | None
    updated_at: datetime


def parse_events(text: str | None) -> tuple[str, ...]:
    """Event kinds from a comma-separated list; none given means every kind."""
    if not text or not text.strip():
        return outbox.KINDS
    kinds = tuple(dict.fromkeys(k.strip() for k in text.split(",") if k.strip()))
    unknown = [k for k in kinds if k not in outbox.KINDS]
    if unknown:
        raise WebhookError(
            f"unknown event {', '.join(unknown)}: choose from {', '.join(outbox.KINDS)}"
        )
    return kinds


def add(svc: Services, url: str, events: Sequence[str]) -> tuple[Subscription, str]:
    """Subscribe ``url`` to ``events``; return it and its signing secret (shown this once)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise WebhookError(f"{url!r} is not an http:// or https:// address")
    secret = signing.new_secret()
    with svc.db.begin() as session:
        row = WebhookSubscription(url=url.strip(), events=",".join(events), secret=secret)
        session.add(row)
        session.flush()
        return _subscription(row), secret


def subscriptions(svc: Services) -> list[Subscription]:
    """Every subscription not removed, oldest first."""
    with svc.db() as session:
        rows = session.scalars(
            select(WebhookSubscription)
            .where(WebhookSubscription.removed_at.is_(None))
            .order_by(WebhookSubscription.id)
        )
        return [_subscription(row) for row in rows]


def remove(svc: Services, url_or_id: str) -> int:
    """Stop sending to a subscription (by id or URL); its unsent deliveries are dropped."""
    with svc.db.begin() as session:
        found = select(WebhookSubscription).where(WebhookSubscription.removed_at.is_(None))
        if url_or_id.isdigit():
            found = found.where(WebhookSubscription.id == int(url_or_id))
        else:
            found = found.where(WebhookSubscription.url == url_or_id.strip())
        rows = session.scalars(found).all()
        if not rows:
            raise WebhookError(f"there is no webhook {url_or_id!r}")
        now = svc.clock()
        for row in rows:
            row.removed_at = now
        session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.subscription_id.in_([row.id for row in rows]),
                WebhookDelivery.status == DeliveryStatus.PENDING,
            )
            .values(status=DeliveryStatus.CANCELED)
        )
        return len(rows)


def log(svc: Services, limit: int = LOG_LIMIT) -> list[Delivery]:
    """The latest deliveries, newest first."""
    with svc.db() as session:
        rows = session.execute(
            select(WebhookDelivery, WebhookSubscription.url, OutboxEvent.kind)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        ).all()
    return [
        Delivery(
            d.id,
            url,
            kind,
            d.event_id,
            d.status,
            d.attempts,
            d.response_code,
            d.error,
            d.updated_at,
        )
        for d, url, kind in rows
    ]


def send_again(svc: Services, delivery_id: int) -> None:
    """Try a delivery again now, with a fresh day of retries: after a fix at the receiver."""
    with svc.db.begin() as session:
        row = session.get(WebhookDelivery, delivery_id, with_for_update=True)
        if row is None:
            raise WebhookError(f"there is no delivery {delivery_id}")
        removed = session.scalar(
            select(WebhookSubscription.removed_at).where(
                WebhookSubscription.id == row.subscription_id
            )
        )
        if removed is not None:
            raise WebhookError(f"delivery {delivery_id}'s webhook was removed")
        attempts.again(row, svc.clock())
    svc.enqueue(deliver_webhook, delivery_id, INTEGRATIONS_QUEUE)


def fan_out(session: Session, events: Sequence[Row[int, str, str]], now: datetime) -> None:
    """Make a delivery of each new event (id, kind) for each subscription that asked for it."""
    subscribed = session.execute(
        select(WebhookSubscription.id, WebhookSubscription.events).where(
            WebhookSubscription.removed_at.is_(None)
        )
    ).all()
    rows = [
        {"subscription_id": sub.id, "event_id": event.id, "next_attempt_at": now}
        for event in events
        for sub in subscribed
        if event.kind in sub.events.split(",")
    ]
    if rows:
        session.execute(insert(WebhookDelivery), rows)


def deliver_webhook(delivery_id: int) -> None:
    """Sign and send one delivery, if it is still to go; record what the receiver said."""
    svc = services()
    with svc.db() as session:
        found = session.execute(
            select(WebhookDelivery.status, WebhookSubscription.url, WebhookSubscription.secret)
            .add_columns(OutboxEvent.id, OutboxEvent.kind, OutboxEvent.payload)
            .add_columns(OutboxEvent.created_at)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
            .where(WebhookDelivery.id == delivery_id)
        ).first()
    if found is None or found.status != DeliveryStatus.PENDING:
        return
    body = attempts.json_body(
        {
            "type": found.kind,
            "timestamp": iso_utc(found.created_at),
            "data": json.loads(found.payload),
        }
    )
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        **signing.signed_headers(found.secret, f"evt_{found.id}", body, svc.clock()),
    }
    answer = attempts.call("POST", found.url, body, headers)
    with svc.db.begin() as session:
        row = session.get_one(WebhookDelivery, delivery_id, with_for_update=True)
        if row.status == DeliveryStatus.PENDING:  # not removed or sent by another run meanwhile
            attempts.settle(row, answer, svc.clock(), done=DeliveryStatus.DELIVERED)


def _subscription(row: WebhookSubscription) -> Subscription:
    return Subscription(row.id, row.url, tuple(row.events.split(",")), row.created_at)
