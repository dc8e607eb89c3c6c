"""A phone in the browser for trying the bot: ``/simulator/``, only outside production.

Its texts skip Twilio and its signature check and go straight to ``receive``, which is
why ``create_app`` registers this blueprint only when ``BOT_ENV`` is not production.
"""

from __future__ import annotations

import random
import uuid
from typing import Any, TypeGuard

from flask import Blueprint, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.inbound.pipeline import receive
from bot.inbound.texts import InboundText, OutboundReply
from bot.lib import phones
from bot.services import services
from store.models import Message, iso_utc
from store.statuses import Channel, MessageStatus

BODY_LIMIT = 1600  # Twilio's limit for one message body

bp = Blueprint(
    "simulator",
    __name__,
    url_prefix="/simulator",
    static_folder="static",
    template_folder="templates",
    static_url_path="/static",
)


class BadPhone(ValueError):
    """The text is not a phone number we can reach."""


def e164(raw: str) -> str:
    """Return ``raw`` as an E.164 number, reading it as a US number unless it says otherwise."""
    phone = phones.e164(raw)
    if phone is None:
        raise BadPhone(f"{raw!r} is not a phone number")
    return phone


def made_up_phone() -> str:
    """A number from the 555-01xx block, which is reserved for fiction."""
    return f"+1404555{random.randint(100, 199):04d}"


def hint() -> str:
    """Tell a newcomer which keywords to text, e.g. ``Text FACES to start``."""
    keywords = [c.keyword for c in services().catalog.active]
    if not keywords:
        return "No campaign is active: any text gets the menu"
    return f"Text {' or '.join(keywords)} to start"


def thread(session: Session, phone: str, after: int = 0) -> list[dict[str, Any]]:
    """Every stored text to and from ``phone`` with an id above ``after``, oldest first."""
    rows = session.scalars(
        select(Message).where(Message.phone == phone, Message.id > after).order_by(Message.id)
    )
    return [
        {
            "id": m.id,
            "direction": m.direction,
            "body": m.body,
            "status": m.status,
            "failure": m.failure,
            "kind": m.kind,
            "at": iso_utc(m.created_at),
        }
        for m in rows
    ]


def delivered(replies: list[OutboundReply]) -> None:
    """Mark replies delivered: here the simulated phone, not Twilio, carries them."""
    if replies:
        with services().db.begin() as session:
            session.execute(
                update(Message)
                .where(Message.id.in_([r.message_id for r in replies]))
                .values(status=MessageStatus.DELIVERED)
            )


@bp.get("/")
def page() -> str:
    try:
        phone = e164(request.args.get("phone", ""))
    except BadPhone:
        phone = made_up_phone()
    return render_template("simulator.html", phone=phone, hint=hint())


@bp.get("/messages")
def messages() -> ResponseReturnValue:
    try:
        phone = e164(request.args.get("phone", ""))
    except BadPhone as error:
        return jsonify(error=str(error)), 400
    return _thread_json(phone)


@bp.post("/messages")
def send() -> ResponseReturnValue:
    # No CSRF token here: a cross-site form cannot send application/json without a CORS
    # preflight, which this app never answers, so requiring JSON keeps other sites out.
    if not request.is_json:
        return jsonify(error="send application/json"), 415
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested deeper than Python's json module reads
        data = None
    if not isinstance(data, dict):
        return jsonify(error="send a JSON object with phone and body"), 400
    raw_phone, body = data.get("phone"), data.get("body", "")
    if not _is_text(raw_phone) or not _is_text(body):
        return jsonify(error="phone and body must be strings"), 400
    if len(body) > BODY_LIMIT:
        return jsonify(error=f"a text holds at most {BODY_LIMIT} characters"), 400
    try:
        phone = e164(raw_phone)
    except BadPhone as error:
        return jsonify(error=str(error)), 400
    text = InboundText(phone=phone, body=body, sid="SIM" + uuid.uuid4().hex, channel=Channel.SMS)
    delivered(receive(services(), text))
    return _thread_json(phone)


def _is_text(value: object) -> TypeGuard[str]:
    # JSON can spell a lone surrogate ("\\ud800"), which no text and no database column holds.
    if not isinstance(value, str):
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _thread_json(phone: str) -> ResponseReturnValue:
    with services().db() as session:
        return jsonify(phone=phone, messages=thread(session, phone))
