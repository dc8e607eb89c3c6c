"""Twilio's webhooks: inbound texts (``POST /sms``) and delivery reports (``POST /sms/status``)."""

from __future__ import annotations

import logging

import phonenumbers
from flask import Blueprint, Response, abort, request
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.twiml.messaging_response import MessagingResponse

from bot.inbox import InboundText, OutboundReply, receive
from bot.services import services
from bot.suppression import note_carrier_error
from bot.webhook_auth import signed_by_twilio
from store.models import Message
from store.statuses import advance

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__)

WHATSAPP = "whatsapp:"
CARRIER_KEYWORDS = ("STOP", "START", "HELP")  # the values of Twilio's OptOutType


@bp.before_request
def require_twilio_signature() -> None:
    settings = services().settings
    if not signed_by_twilio(request, settings.twilio_auth_token, settings.public_base_url):
        abort(403)


@bp.post("/sms")
def inbound_text() -> Response:
    text = _parse_inbound()
    try:
        replies = receive(services(), text)
    except TimeoutError:
        # The phone's previous text is stuck; ask Twilio to come back rather than race it.
        return Response("busy", status=503, headers={"Retry-After": "5"})
    return _twiml(replies)


@bp.post("/sms/status")
def delivery_status() -> Response:
    form = request.form
    sid = form.get("MessageSid") or form.get("SmsSid")
    status = form.get("MessageStatus") or form.get("SmsStatus")
    if not sid or not status:
        abort(400, "MessageSid and MessageStatus are required")
    svc = services()
    with svc.db.begin() as session:
        message = _outbound(session, sid, request.args.get("message_id", type=int))
        if message is None:
            log.info("status %s for a message we do not know: %s", status, sid)
        else:
            message.sid = sid
            message.status = advance(message.status, status)
            error_code = form.get("ErrorCode", type=int)
            if error_code:
                message.error_code = error_code
                note_carrier_error(session, message, error_code, svc.clock())
    return Response(status=200)


def _outbound(session: Session, sid: str, message_id: int | None) -> Message | None:
    # A reply's or a fast callback's row has no SID yet: the callback URL names the row.
    if message_id is not None:
        message = session.get(Message, message_id)
        if message is not None and message.direction == "out" and message.sid in (None, sid):
            return message
    return session.scalar(select(Message).where(Message.sid == sid))


def _parse_inbound() -> InboundText:
    form = request.form
    sid = form.get("MessageSid") or form.get("SmsMessageSid")
    sender = form.get("From", "")
    if not sid or not sender:
        abort(400, "From and MessageSid are required")
    channel = "whatsapp" if sender.startswith(WHATSAPP) else "sms"
    phone = _e164(sender.removeprefix(WHATSAPP))
    if phone is None:
        abort(400, "From is not a phone number")
    carrier_keyword = form.get("OptOutType", "").upper() or None
    return InboundText(
        phone=phone,
        body=form.get("Body", ""),
        sid=sid,
        channel=channel,
        carrier_keyword=carrier_keyword if carrier_keyword in CARRIER_KEYWORDS else None,
    )


def _e164(raw: str) -> str | None:
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _twiml(replies: list[OutboundReply]) -> Response:
    response = MessagingResponse()
    base = services().settings.public_base_url.rstrip("/")
    for reply in replies:
        # The action URL receives this reply's status callbacks, naming its stored row.
        response.message(reply.body, action=f"{base}/sms/status?message_id={reply.message_id}")
    return Response(str(response), mimetype="text/xml")
