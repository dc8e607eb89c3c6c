"""Copy a campaign's signatures to an Action Network petition, and its signers' opt-outs.

Each signature is sent once with Action Network's record signature helper
(``POST /petitions/{id}/signatures/``), which finds or makes the person by phone. The person
and signature identifiers it answers with are stored: a signature with one is never POSTed
again. An opt-out (or a START) later sets that person's mobile status with
``PUT /people/{id}``. Every call is a row of ``action_network_syncs``: the sync log, tried
again with backoff for a day (``attempts``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Row, String, and_, exists, insert, literal, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.integrations import attempts, outbox
from bot.integrations.payloads import split_name
from bot.services import INTEGRATIONS_QUEUE, Services, services
from store.models import (
    ActionNetworkPetition,
    ActionNetworkSync,
    Campaign,
    Signature,
    Supporter,
)
from store.records import campaign_row, insert_ignoring_duplicates
from store.statuses import DeliveryStatus

LOG_LIMIT = 50
PHONE_STATUS = {outbox.SUPPORTER_OPTED_OUT: "unsubscribe", outbox.SUPPORTER_OPTED_IN: "subscribe"}


class ActionNetworkError(ValueError):
    """A campaign cannot be connected or synced as asked; the text says why."""


@dataclass(frozen=True)
class SyncLine:
    """A line of the sync log."""

    id: int
    campaign: str
    signature_id: int
    action: str
    status: str
    attempts: int
    response_code: int | None
    error: str | None
    remote_id: str | None
    updated_at: datetime


def connect(svc: Services, slug: str, petition_id: str) -> None:
    """Send the campaign's new signatures (and opt-outs) to this Action Network petition."""
    if not svc.settings.action_network_api_key:
        raise ActionNetworkError("set ACTION_NETWORK_API_KEY first: the key of your group's API")
    petition_id = petition_id.strip().removeprefix("action_network:")
    if not petition_id or "/" in petition_id:
        raise ActionNetworkError(f"{petition_id!r} is not a petition id")
    with svc.db.begin() as session:
        campaign_id = _campaign_id(svc, session, slug)
        row = session.scalar(
            select(ActionNetworkPetition).where(ActionNetworkPetition.campaign_id == campaign_id)
        )
        if row is None:
            session.add(ActionNetworkPetition(campaign_id=campaign_id, petition_id=petition_id))
        else:
            row.petition_id = petition_id


def disconnect(svc: Services, slug: str) -> None:
    """Stop sending the campaign's signatures; what was sent stays in Action Network."""
    with svc.db.begin() as session:
        row = session.scalar(
            select(ActionNetworkPetition).where(
                ActionNetworkPetition.campaign_id == _campaign_id(svc, session, slug)
            )
        )
        if row is None:
            raise ActionNetworkError(f"campaign {slug} is not connected to Action Network")
        session.delete(row)


def connections(svc: Services) -> list[tuple[str, str]]:
    """Each connected campaign's slug and its petition's id."""
    with svc.db() as session:
        rows = session.execute(
            select(Campaign.slug, ActionNetworkPetition.petition_id)
            .join(Campaign, Campaign.id == ActionNetworkPetition.campaign_id)
            .order_by(Campaign.slug)
        ).all()
    return [(slug, petition_id) for slug, petition_id in rows]


def backfill(svc: Services, slug: str) -> int:
    """Queue every signature of the campaign not yet sent; return how many."""
    with svc.db.begin() as session:
        campaign_id = _campaign_id(svc, session, slug)
        petition_id = session.scalar(
            select(ActionNetworkPetition.petition_id).where(
                ActionNetworkPetition.campaign_id == campaign_id
            )
        )
        if petition_id is None:
            raise ActionNetworkError(f"connect campaign {slug} to a petition first")
        now = svc.clock()
        unsent = select(
            Signature.id,
            literal("sign"),
            literal(petition_id),
            literal(DeliveryStatus.PENDING, String),
            literal(0),
            literal(now),
            literal(now),
            literal(now),
        ).where(
            Signature.campaign_id == campaign_id,
            ~exists().where(
                and_(
                    ActionNetworkSync.signature_id == Signature.id,
                    ActionNetworkSync.action == "sign",
                )
            ),
        )
        columns = (
            "signature_id",
            "action",
            "petition_id",
            "status",
            "attempts",
            "next_attempt_at",
            "created_at",
            "updated_at",
        )
        result = session.execute(
            insert(ActionNetworkSync)
            .from_select(columns, unsent)
            .execution_options(preserve_rowcount=True)
        )
        return int(cast(CursorResult[Any], result).rowcount)


def log(svc: Services, slug: str | None = None, limit: int = LOG_LIMIT) -> list[SyncLine]:
    """The latest syncs (of one campaign), newest first."""
    query = (
        select(ActionNetworkSync, Campaign.slug)
        .join(Signature, Signature.id == ActionNetworkSync.signature_id)
        .join(Campaign, Campaign.id == Signature.campaign_id)
        .order_by(ActionNetworkSync.id.desc())
        .limit(limit)
    )
    if slug is not None:
        query = query.where(Campaign.slug == slug)
    with svc.db() as session:
        rows = session.execute(query).all()
    return [
        SyncLine(
            s.id,
            campaign,
            s.signature_id,
            s.action,
            s.status,
            s.attempts,
            s.response_code,
            s.error,
            s.remote_id,
            s.updated_at,
        )
        for s, campaign in rows
    ]


def send_again(svc: Services, sync_id: int) -> None:
    """Try a sync again now, with a fresh day of retries."""
    with svc.db.begin() as session:
        row = session.get(ActionNetworkSync, sync_id, with_for_update=True)
        if row is None:
            raise ActionNetworkError(f"there is no sync {sync_id}")
        attempts.again(row, svc.clock())
    svc.enqueue(sync_action_network, sync_id, INTEGRATIONS_QUEUE)


def fan_out(session: Session, events: Sequence[Row[int, str, str]], now: datetime) -> None:
    """Make the syncs new events (id, kind, payload) call for: a signature of a connected
    campaign; a phone status change for a signer already sent."""
    for event in events:
        if event.kind == outbox.SIGNATURE_CREATED:
            signature = json.loads(event.payload)["signature"]
            petition_id = session.scalar(
                select(ActionNetworkPetition.petition_id)
                .join(Campaign, Campaign.id == ActionNetworkPetition.campaign_id)
                .where(Campaign.slug == signature["campaign"])
            )
            if petition_id is not None:
                _add(session, signature["id"], "sign", petition_id, now)
        elif event.kind in PHONE_STATUS:
            phone = json.loads(event.payload)["phone"]
            # One person per phone in Action Network: the first signature sent names them.
            first = session.execute(
                select(ActionNetworkSync.signature_id, ActionNetworkSync.petition_id)
                .join(Signature, Signature.id == ActionNetworkSync.signature_id)
                .join(Supporter, Supporter.id == Signature.supporter_id)
                .where(Supporter.phone == phone, ActionNetworkSync.action == "sign")
                .order_by(ActionNetworkSync.id)
                .limit(1)
            ).first()
            if first is not None:
                action = PHONE_STATUS[event.kind]
                _add(session, first.signature_id, action, first.petition_id, now, event.id)


def _add(
    session: Session,
    signature_id: int,
    action: str,
    petition_id: str,
    now: datetime,
    event_id: int | None = None,
) -> None:
    values = {
        "signature_id": signature_id,
        "event_id": event_id,
        "action": action,
        "petition_id": petition_id,
        "status": DeliveryStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }
    insert_ignoring_duplicates(session, ActionNetworkSync, values)


def signature_body(supporter: Supporter) -> dict[str, Any]:
    """The record signature helper's body: the person, found or made by their phone."""
    first, last = split_name(supporter.name)
    address = {
        "postal_code": supporter.zip_code,
        "locality": supporter.city,
        "region": supporter.state,
        "country": "US",
    }
    phone: dict[str, str] = {"number": _number(supporter.phone), "number_type": "Mobile"}
    if supporter.opted_out_at is None:
        # Without it a person new to the group's mobile list is added unsubscribed.
        phone["status"] = "subscribed"
    person: dict[str, Any] = {
        "given_name": first,
        "family_name": last,
        "postal_addresses": [{k: v for k, v in address.items() if v}],
        "phone_numbers": [phone],
    }
    return {"person": {k: v for k, v in person.items() if v}}


def phone_status_body(phone: str, action: str) -> dict[str, Any]:
    status = "unsubscribed" if action == "unsubscribe" else "subscribed"
    return {
        "phone_numbers": [{"number": _number(phone), "number_type": "Mobile", "status": status}]
    }


def sync_action_network(sync_id: int) -> None:
    """Make one call to Action Network, if it is still to make; record the answer."""
    svc = services()
    settings = svc.settings
    with svc.db() as session:
        sync = session.get(ActionNetworkSync, sync_id)
        if sync is None or sync.status != DeliveryStatus.PENDING:
            return
        supporter = session.scalars(
            select(Supporter)
            .join(Signature, Signature.supporter_id == Supporter.id)
            .where(Signature.id == sync.signature_id)
        ).one()
        person_id = session.scalar(
            select(ActionNetworkSync.person_id).where(
                ActionNetworkSync.signature_id == sync.signature_id,
                ActionNetworkSync.action == "sign",
            )
        )
    if sync.action == "sign" and sync.remote_id is not None:
        answer = attempts.Answer(200)  # sent before: never POSTed twice
    elif not settings.action_network_api_key:
        answer = attempts.Answer(None, error="ACTION_NETWORK_API_KEY is not set")
    elif sync.action == "sign":
        url = f"{settings.action_network_api_url}/petitions/{sync.petition_id}/signatures/"
        answer = _call(settings, "POST", url, signature_body(supporter))
    elif person_id is None:
        answer = attempts.Answer(None, error="waiting for the signature to reach Action Network")
    else:
        url = f"{settings.action_network_api_url}/people/{person_id}"
        answer = _call(settings, "PUT", url, phone_status_body(supporter.phone, sync.action))
    with svc.db.begin() as session:
        row = session.get_one(ActionNetworkSync, sync_id, with_for_update=True)
        if row.status != DeliveryStatus.PENDING:
            return
        if row.action == "sign" and row.remote_id is None and answer.ok:
            answer = _store_identifiers(row, answer)
        attempts.settle(row, answer, svc.clock())


def _store_identifiers(row: ActionNetworkSync, answer: attempts.Answer) -> attempts.Answer:
    """Keep the signature's and person's identifiers; no identifier means it was not taken."""
    try:
        signature = json.loads(answer.body or "{}")
    except ValueError:
        signature = {}
    ids = [i for i in signature.get("identifiers", []) if i.startswith("action_network:")]
    person = signature.get("action_network:person_id") or _last_part(
        signature.get("_links", {}).get("osdi:person", {}).get("href", "")
    )
    if not ids or not person:
        # Action Network answers an unsigned POST 200 with an empty body, so no error leaks.
        return attempts.Answer(
            None, error=f"HTTP {answer.code} with no signature in it: is the petition id right?"
        )
    row.remote_id, row.person_id = ids[0].removeprefix("action_network:"), person
    return answer


def _call(settings: Settings, method: str, url: str, body: dict[str, Any]) -> attempts.Answer:
    headers = {
        "OSDI-API-Token": settings.action_network_api_key,
        "Content-Type": "application/json",
    }
    return attempts.call(method, url, attempts.json_body(body), headers)


def _number(phone: str) -> str:
    # Action Network's examples write a number as its digits, country code first.
    return phone.removeprefix("+")


def _last_part(href: str) -> str:
    return href.rstrip("/").rsplit("/", 1)[-1] if href else ""


def _campaign_id(svc: Services, session: Session, slug: str) -> int:
    campaign = svc.catalog.by_slug(slug)
    if campaign is None:
        raise ActionNetworkError(f"there is no campaign {slug!r}")
    return campaign_row(session, campaign).id
