"""Webhooks whose signature holds but whose fields are not as Twilio sent them."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import BOT_NUMBER, PUBLIC_BASE_URL, post_signed
from sqlalchemy import func, select
from twilio_signing import signed_headers

from store.models import Message

JANE = "+14045550123"
SID = "SM" + "0123456789abcdef" * 2


def inbound(body: str = "FACES", **changes: str) -> dict[str, str]:
    """The form Twilio posts for a text from Jane."""
    return {
        "MessageSid": SID,
        "AccountSid": "AC" + "f" * 32,
        "From": JANE,
        "To": BOT_NUMBER,
        "Body": body,
        "NumMedia": "0",
    } | changes


def texts_in(svc: Any) -> int:
    with svc.db() as session:
        return int(session.scalar(select(func.count(Message.id)).where(Message.direction == "in")))


def test_a_captured_text_reshaped_to_a_new_sid_is_refused(client, twilio, svc) -> None:
    captured = inbound()
    headers = signed_headers(twilio.auth_token, PUBLIC_BASE_URL + "/sms", captured)
    assert client.post("/sms", data=captured, headers=headers).status_code == 200
    # Twilio's signature runs names and values together: this form signs the same.
    reshaped = {k: v for k, v in captured.items() if k != "NumMedia"}
    reshaped["MessageSid"] = SID + "NumMedia0"
    assert signed_headers(twilio.auth_token, PUBLIC_BASE_URL + "/sms", reshaped) == headers
    assert client.post("/sms", data=reshaped, headers=headers).status_code == 400
    assert texts_in(svc) == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"AccountSid": "AC123"},
        {"AccountSid": "AC" + "f" * 32 + "Body"},
        {"NumMedia": "0Body"},
        {"To": BOT_NUMBER + "ToCityATLANTA"},
        {"MessageSid": "XX" + "0" * 32},
    ],
)
def test_a_signed_text_with_a_field_twilio_never_sends_is_refused(
    client, twilio, svc, changes: dict[str, str]
) -> None:
    assert post_signed(client, twilio.auth_token, "/sms", inbound(**changes)).status_code == 400
    assert texts_in(svc) == 0


def test_a_signed_text_without_its_to_is_refused(client, twilio, svc) -> None:
    form = {k: v for k, v in inbound().items() if k != "To"}
    assert post_signed(client, twilio.auth_token, "/sms", form).status_code == 400


def test_a_delivery_token_seen_before_with_other_fields_is_refused(client, twilio, svc) -> None:
    token = {"I-Twilio-Idempotency-Token": "delivery-1"}
    first = inbound("FACES")
    headers = signed_headers(twilio.auth_token, PUBLIC_BASE_URL + "/sms", first) | token
    assert client.post("/sms", data=first, headers=headers).status_code == 200
    # A retry is the same form: it is answered as before.
    assert client.post("/sms", data=first, headers=headers).status_code == 200
    other = inbound("STOP", MessageSid="SM" + "9" * 32)
    headers = signed_headers(twilio.auth_token, PUBLIC_BASE_URL + "/sms", other) | token
    assert client.post("/sms", data=other, headers=headers).status_code == 400
    assert texts_in(svc) == 1


def test_a_failed_report_after_delivered_leaves_the_reply_delivered(client, twilio, svc) -> None:
    post_signed(client, twilio.auth_token, "/sms", inbound())
    for status in ("delivered", "failed", "undelivered", "canceled"):
        report = {"MessageSid": "SM" + "b" * 32, "MessageStatus": status, "ErrorCode": "30008"}
        post_signed(client, twilio.auth_token, "/sms/status?message_id=2", report)
    with svc.db() as session:
        assert session.get_one(Message, 2).status == "delivered"


def test_a_status_report_with_a_reshaped_sid_is_refused(client, twilio, svc) -> None:
    sid = "SM" + "b" * 32
    report = {"MessageSid": sid, "MessageStatus": "failed", "SmsSid": sid, "SmsStatus": "failed"}
    headers = signed_headers(twilio.auth_token, PUBLIC_BASE_URL + "/sms/status", report)
    # MessageStatus folded into the SID before it: the same signature, the status from SmsStatus.
    reshaped = {"MessageSid": sid + "MessageStatusfailed", "SmsSid": sid, "SmsStatus": "failed"}
    assert client.post("/sms/status", data=reshaped, headers=headers).status_code == 400
