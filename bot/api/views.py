"""The REST API under ``/api/v1``: campaigns, signatures, supporters, broadcasts, events.

Every view reads through the same domain functions as the dashboard and the terminal
(``bot.dashboard.exports``, ``bot.dashboard.supporters``, ``bot.broadcasts.service``,
``bot.field.events``). Each docstring's YAML, after ``---``, is the view's part of the OpenAPI
document (``bot.api.openapi``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import datetime
from typing import Any

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from bot.api import tokens
from bot.api.errors import ApiError
from bot.broadcasts import service as broadcasts
from bot.broadcasts.audience import Audience, AudienceError
from bot.broadcasts.service import BroadcastError, Report
from bot.dashboard import exports
from bot.dashboard import supporters as supporter_history
from bot.field.events import list_events
from bot.integrations.payloads import person, split_name
from bot.lib.phones import e164
from bot.services import services
from store.models import Campaign, Supporter, iso_utc

bp = Blueprint("api", __name__, url_prefix="/api/v1")

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
PREVIEW_MAX_AGE = 3600  # seconds a broadcast preview may be sent after it was made
AUDIENCE_FIELDS = ("state", "zip_prefix", "language", "source", "signed_after")


@bp.before_request
def require_token() -> None:
    if request.endpoint == "api.openapi":
        return
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    found = tokens.authenticate(services(), token.strip()) if scheme == "Bearer" else None
    if found is None:
        raise ApiError(401, "unauthorized", "send a valid token: Authorization: Bearer <token>")
    if found.read_only and request.method not in ("GET", "HEAD", "OPTIONS"):
        raise ApiError(403, "read_only", f"token {found.name!r} is read-only")
    g.api_token = found


@bp.get("/campaigns")
def campaigns() -> ResponseReturnValue:
    """List the campaigns.
    ---
    get:
      summary: Every campaign, running or closed, with its signature count
      responses:
        200:
          description: The campaigns
          content:
            application/json:
              schema: {$ref: "#/components/schemas/CampaignList"}
    """
    counts = _counts()
    data = [_campaign(c, counts.get(c.slug, 0)) for c in services().catalog.campaigns]
    return jsonify({"data": data})


@bp.get("/campaigns/<slug>")
def campaign(slug: str) -> ResponseReturnValue:
    """One campaign.
    ---
    get:
      summary: One campaign, by its slug
      parameters:
        - {in: path, name: slug, required: true, schema: {type: string}}
      responses:
        200:
          description: The campaign
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Campaign"}
        404: {$ref: "#/components/responses/Error"}
    """
    found = _campaign_file(slug)
    return jsonify(_campaign(found, _counts().get(slug, 0)))


@bp.get("/campaigns/<slug>/signatures")
def signatures(slug: str) -> ResponseReturnValue:
    """A campaign's signatures, oldest first, a page at a time.
    ---
    get:
      summary: A campaign's signatures, in signing order, a page at a time
      description: >
        Pass each answer's next_cursor as cursor, with the same filters, for the next page;
        next_cursor is null on the last page.
      parameters:
        - {in: path, name: slug, required: true, schema: {type: string}}
        - in: query
          name: limit
          schema: {type: integer, minimum: 1, maximum: 1000, default: 100}
        - in: query
          name: cursor
          schema: {type: string}
          description: The previous page's next_cursor
        - in: query
          name: since
          schema: {type: string, format: date-time}
          description: Signed at or after this moment (ISO 8601 with its zone, e.g. ...Z)
        - in: query
          name: source
          schema: {type: string}
          description: sms, whatsapp, or an event's slug
        - in: query
          name: state
          schema: {type: string}
          description: A two-letter U.S. state
      responses:
        200:
          description: A page of signatures
          content:
            application/json:
              schema: {$ref: "#/components/schemas/SignaturePage"}
        400: {$ref: "#/components/responses/Error"}
        404: {$ref: "#/components/responses/Error"}
    """
    _campaign_file(slug)
    limit = _limit()
    query = exports.signers(_campaign_id(slug))
    columns = query.selected_columns
    after = _cursor()
    if after is not None:
        query = query.where(columns.id > after)
    since = _moment(request.args.get("since"), "since")
    if since is not None:
        query = query.where(columns.signed_at >= since)
    if request.args.get("source"):
        query = query.where(columns.source == request.args["source"].strip().lower())
    if request.args.get("state"):
        query = query.where(columns.state == request.args["state"].strip().upper())
    with services().db() as session:
        rows = session.execute(query.limit(limit + 1)).all()
    page = [_signature(row) for row in rows[:limit]]
    more = len(rows) > limit
    return jsonify({"data": page, "next_cursor": _encode(page[-1]["id"]) if more else None})


@bp.get("/supporters/<phone>")
def supporter(phone: str) -> ResponseReturnValue:
    """One supporter by phone.
    ---
    get:
      summary: A supporter by phone (E.164, e.g. +14045550123)
      description: Their profile, opt-out status, signatures and consent history.
      parameters:
        - {in: path, name: phone, required: true, schema: {type: string}}
      responses:
        200:
          description: The supporter
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Supporter"}
        404: {$ref: "#/components/responses/Error"}
    """
    number = e164(phone)
    if number is None:
        raise ApiError(404, "not_found", f"{phone!r} is not a phone number")
    with services().db() as session:
        supporter_id = session.scalar(select(Supporter.id).where(Supporter.phone == number))
        found = None if supporter_id is None else supporter_history.history(session, supporter_id)
    if found is None or found.supporter is None:
        raise ApiError(404, "not_found", f"no supporter has the phone {number}")
    return jsonify(
        {
            **person(found.supporter),
            "opted_out_at": _iso(found.supporter.opted_out_at),
            "signatures": [
                {
                    "campaign": campaign.slug,
                    "number": signature.number,
                    "signed_at": iso_utc(signature.signed_at),
                    "source": signature.source,
                }
                for signature, campaign in found.signatures
            ],
            "consent": [
                {
                    "kind": event.kind,
                    "at": iso_utc(event.created_at),
                    "channel": event.channel,
                    "keyword": keyword,
                    "disclosure": event.disclosure,
                    "supporter_text": event.supporter_text,
                }
                for event, keyword in found.consent
            ],
        }
    )


@bp.post("/broadcasts/preview")
def preview_broadcast() -> ResponseReturnValue:
    """Preview a broadcast.
    ---
    post:
      summary: Count who a broadcast would reach and what it costs; nothing is sent
      description: >
        The answer's preview_token sends exactly this broadcast (POST /broadcasts), once,
        within an hour.
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/BroadcastDraft"}
      responses:
        200:
          description: The preview
          content:
            application/json:
              schema: {$ref: "#/components/schemas/BroadcastPreview"}
        400: {$ref: "#/components/responses/Error"}
        403: {$ref: "#/components/responses/Error"}
        422: {$ref: "#/components/responses/Error"}
    """
    draft = _json_object()
    campaign, body = draft.get("campaign"), draft.get("body")
    if not isinstance(campaign, str) or not isinstance(body, str):
        raise ApiError(422, "invalid", "campaign and body are required, as strings")
    audience_fields = draft.get("audience") or {}
    if not isinstance(audience_fields, dict) or set(audience_fields) - set(AUDIENCE_FIELDS):
        raise ApiError(422, "invalid", f"audience may have only {', '.join(AUDIENCE_FIELDS)}")
    send_at = _moment(draft.get("send_at"), "send_at", status=422)
    try:
        audience = Audience.of(**audience_fields)
        found = broadcasts.preview(services(), campaign, audience, body)
    except (AudienceError, BroadcastError, TypeError) as error:
        raise ApiError(422, "invalid", str(error)) from None
    sealed = {
        "campaign": campaign,
        "body": body,
        "audience": audience.to_json(),
        "send_at": None if send_at is None else send_at.isoformat(),
    }
    return jsonify(
        {
            "campaign": campaign,
            "body": body,
            "audience": json.loads(audience.to_json()),
            "send_at": _iso(send_at),
            "receiving": found.receiving,
            "excluded": found.excluded,
            "segments": {
                "count": found.segments.count,
                "encoding": found.segments.encoding,
                "characters_per_segment": found.segments.per_segment,
            },
            "estimated_cost": round(found.cost, 4),
            "currency": "USD",
            "preview_token": _previews().dumps(sealed),
            "expires_in": PREVIEW_MAX_AGE,
        }
    )


@bp.post("/broadcasts")
def send_broadcast() -> ResponseReturnValue:
    """Send a previewed broadcast.
    ---
    post:
      summary: Send (or schedule) the broadcast a preview_token names
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [preview_token]
              properties:
                preview_token: {type: string}
      responses:
        201:
          description: The broadcast, sending or scheduled
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Broadcast"}
        400: {$ref: "#/components/responses/Error"}
        403: {$ref: "#/components/responses/Error"}
        409: {$ref: "#/components/responses/Error"}
        422: {$ref: "#/components/responses/Error"}
    """
    token = _json_object().get("preview_token")
    if not isinstance(token, str):
        raise ApiError(422, "invalid", "preview_token is required: preview the broadcast first")
    try:
        sealed = _previews().loads(token, max_age=PREVIEW_MAX_AGE)
    except SignatureExpired:
        raise ApiError(422, "preview_expired", "the preview is over an hour old") from None
    except BadSignature:
        raise ApiError(422, "invalid", "preview_token is not one this API gave") from None
    svc = services()
    # A token sends once: a retried request must not text everyone twice.
    key = "api:preview-sent:" + hashlib.sha256(token.encode()).hexdigest()
    if not svc.redis.set(key, g.api_token.name, nx=True, ex=PREVIEW_MAX_AGE):
        raise ApiError(409, "preview_used", "this preview was already sent")
    send_at = sealed["send_at"]
    try:
        made = broadcasts.create(
            svc,
            sealed["campaign"],
            Audience.from_json(sealed["audience"]),
            sealed["body"],
            send_at=None if send_at is None else datetime.fromisoformat(send_at),
        )
        broadcasts.start(svc, made)
    except BroadcastError as error:
        raise ApiError(422, "invalid", str(error)) from None
    return jsonify(_broadcast(broadcasts.report(svc, made))), 201


@bp.get("/broadcasts")
def list_broadcasts() -> ResponseReturnValue:
    """The latest broadcasts.
    ---
    get:
      summary: The latest 50 broadcasts, newest first
      responses:
        200:
          description: The broadcasts
          content:
            application/json:
              schema: {$ref: "#/components/schemas/BroadcastList"}
    """
    rows = broadcasts.listing(services())
    data = [{"id": i, "campaign": c, "status": s, "body_start": b} for i, c, s, b in rows]
    return jsonify({"data": data})


@bp.get("/broadcasts/<int:broadcast_id>")
def broadcast(broadcast_id: int) -> ResponseReturnValue:
    """A broadcast's status.
    ---
    get:
      summary: A broadcast's status, figures and replies
      parameters:
        - {in: path, name: broadcast_id, required: true, schema: {type: integer}}
      responses:
        200:
          description: The broadcast
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Broadcast"}
        404: {$ref: "#/components/responses/Error"}
    """
    try:
        found = broadcasts.report(services(), broadcast_id)
    except BroadcastError as error:
        raise ApiError(404, "not_found", str(error)) from None
    return jsonify(_broadcast(found))


@bp.get("/events")
def events() -> ResponseReturnValue:
    """The field events.
    ---
    get:
      summary: Every field event (a rally's own keyword), the latest first
      responses:
        200:
          description: The events
          content:
            application/json:
              schema: {$ref: "#/components/schemas/EventList"}
    """
    with services().db() as session:
        rows = list_events(session)
    data = [
        {
            "slug": e.slug,
            "campaign": e.campaign,
            "keyword": e.keyword,
            "name": e.name,
            "place": e.place,
            "held_on": None if e.held_on is None else e.held_on.isoformat(),
        }
        for e in rows
    ]
    return jsonify({"data": data})


def _campaign(file: Any, count: int) -> dict[str, Any]:
    return {
        "slug": file.slug,
        "title": file.title,
        "keyword": file.keyword,
        "active": file.active,
        "signature_count": count,
    }


def _counts() -> dict[str, int]:
    with services().db() as session:
        return dict(session.execute(select(Campaign.slug, Campaign.signature_count)).all())


def _campaign_file(slug: str) -> Any:
    found = services().catalog.by_slug(slug)
    if found is None:
        raise ApiError(404, "not_found", f"there is no campaign {slug!r}")
    return found


def _campaign_id(slug: str) -> int | None:
    with services().db() as session:
        return session.scalar(select(Campaign.id).where(Campaign.slug == slug))


def _signature(row: Any) -> dict[str, Any]:
    first, last = split_name(row.name)
    return {
        "id": row.id,
        "phone": row.phone,
        "name": row.name,
        "first_name": first,
        "last_name": last,
        "zip": row.zip_code,
        "city": row.city,
        "state": row.state,
        "signed_at": iso_utc(row.signed_at),
        "source": row.source,
        "opted_out": row.opted_out_at is not None,
        "language": row.language,
    }


def _broadcast(report: Report) -> dict[str, Any]:
    return {
        "id": report.id,
        "campaign": report.campaign,
        "body": report.body,
        "audience": json.loads(report.audience.to_json()),
        "status": report.status,
        "send_at": report.send_at,
        "started_at": report.started_at,
        "finished_at": report.finished_at,
        "planned": report.planned,
        "waiting": report.waiting,
        "sent": report.sent,
        "delivered": report.delivered,
        "failed": report.failed,
        "held": report.held,
        "canceled": report.canceled,
        "skipped": report.skipped,
        "replies": report.replies,
        "tally": [{"answer": a, "count": n} for a, n in report.tally],
    }


def _limit() -> int:
    raw = request.args.get("limit", str(DEFAULT_LIMIT))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError(400, "bad_request", f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


# A cursor is opaque to clients: the last signature's id, so a page continues after it even
# while new signatures arrive.
def _encode(signature_id: int) -> str:
    return base64.urlsafe_b64encode(f"s{signature_id}".encode()).decode().rstrip("=")


def _cursor() -> int | None:
    raw = request.args.get("cursor")
    if not raw:
        return None
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        text = ""
    if not text.startswith("s") or not text[1:].isdigit():
        raise ApiError(400, "bad_request", "cursor is not one this API gave")
    return int(text[1:])


def _moment(raw: Any, name: str, status: int = 400) -> datetime | None:
    if raw is None or raw == "":
        return None
    code = "bad_request" if status == 400 else "invalid"
    try:
        moment = datetime.fromisoformat(str(raw))
    except ValueError:
        raise ApiError(status, code, f"{name} must be ISO 8601, like 2026-05-01T18:00Z") from None
    if moment.tzinfo is None:
        raise ApiError(status, code, f"give {name} with its time zone, like 2026-05-01T18:00Z")
    return moment


def _json_object() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "send a JSON object, with Content-Type application/json")
    return data


def _previews() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(services().settings.secret_key, salt="api-broadcast-preview")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else iso_utc(moment)
