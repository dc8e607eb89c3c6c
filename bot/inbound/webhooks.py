"""Twilio's webhooks: inbound texts (``POST /sms``) and delivery reports (``POST /sms/status``)."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, request
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.twiml.messaging_response import MessagingResponse

from bot.database import once_more_if_dropped
from bot.inbound.pipeline import receive
from bot.inbound.texts import InboundText, OutboundReply
from bot.inbound.twilio_signature import changed_since_first_delivery, signed_by_twilio
from bot.inbound.webhook_form import message_sid, misshapen
from bot.lib.phones import e164
from bot.outbound.suppression import note_carrier_error
from bot.services import services
from store.models import Message
from store.statuses import Channel, Direction, advance

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__)

WHATSAPP = "whatsapp:"
CARRIER_KEYWORDS = ("STOP", "START", "HELP")  # the values of Twilio's OptOutType
BIGINT_LIMIT, INTEGER_LIMIT = 2**63, 2**31  # messages.id, messages.error_code


@bp.before_request
def require_twilio_signature() -> None:
    settings = services().settings
    if not signed_by_twilio(request, settings.twilio_auth_token, settings.public_base_url):
        abort(403)
    if changed_since_first_delivery(services().redis, request):
        abort(400, "this delivery came before with other fields")


@bp.post("/sms")
def inbound_text() -> Response:
    return _twiml(receive(services(), _parse_inbound()))


@bp.post("/sms/status")
def delivery_status() -> Response:
    form = request.form
    sid = message_sid(form, "MessageSid", "SmsSid")
    status = form.get("MessageStatus") or form.get("SmsStatus")
    if not status:
        abort(400, "MessageSid and MessageStatus are required")
    refusal = misshapen(form, sid, required=())
    if refusal or sid is None:
        abort(400, refusal)
    svc = services()
    message_id = _in_range(request.args.get("message_id", type=int), BIGINT_LIMIT)
    error_code = _in_range(form.get("ErrorCode", type=int), INTEGER_LIMIT)

    def record() -> None:
        with svc.db.begin() as session:
            message = _outbound(session, sid, message_id)
            if message is None:
                log.info("status %s for a message we do not know: %s", status, sid)
                return
            message.sid = sid
            message.status = advance(message.status, status)
            if error_code:
                message.error_code = error_code
                note_carrier_error(session, message, error_code, svc.clock())

    # Twilio does not send a status again: a lost one would leave its text looking unsent.
    once_more_if_dropped(record)
    return Response(status=200)


def _outbound(session: Session, sid: str, message_id: int | None) -> Message | None:
    # A SID names one row: the row that has it, or else the row the callback URL names, if
    # that has no SID yet (a reply's, or one whose callback beat the API call's return).
    known = session.scalar(select(Message).where(Message.sid == sid))
    if known is not None or message_id is None:
        return known
    message = session.get(Message, message_id)
    if message is not None and message.direction == Direction.OUT and message.sid is None:
        return message
    return None


def _in_range(value: int | None, limit: int) -> int | None:
    # A number past its column's range is no id or code of Twilio's, and PostgreSQL would raise.
    return value if value is not None and 0 < value < limit else None


def _parse_inbound() -> InboundText:
    form = request.form
    sid = message_sid(form, "MessageSid", "SmsMessageSid")
    refusal = misshapen(form, sid, required=("From", "To"))
    if refusal or sid is None:
        abort(400, refusal)
    sender = form["From"]
    channel = Channel.WHATSAPP if sender.startswith(WHATSAPP) else Channel.SMS
    phone = e164(sender.removeprefix(WHATSAPP), region=None)  # Twilio always sends E.164
    if phone is None:
        abort(400, "From is not a phone number")
    carrier_keyword = form.get("OptOutType", "").upper() or None
    return InboundText(
        phone=phone,
        body=form.get("Body", ""),
        sid=sid,
        channel=channel,
        carrier_keyword=carrier_keyword if carrier_keyword in CARRIER_KEYWORDS else None,
        received_at=services().clock(),
    )


def _twiml(replies: list[OutboundReply]) -> Response:
    response = MessagingResponse()
    base = services().settings.public_base_url.rstrip("/")
    for reply in replies:
        # The action URL receives this reply's status callbacks, naming its stored row.
        response.message(reply.body, action=f"{base}/sms/status?message_id={reply.message_id}")
    return Response(str(response), mimetype="text/xml")
