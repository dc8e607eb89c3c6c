"""POST /sms and POST /sms/status, as Twilio calls them."""

from __future__ import annotations

from helpers import BOT_NUMBER, PUBLIC_BASE_URL, Phone, post_signed
from sqlalchemy import func, select
from twilio_signing import signed_headers

from store.models import Message


def inbound(body: str, sid: str = "SM" + "1" * 32, sender: str = "+14045550123") -> dict:
    return {
        "MessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": BOT_NUMBER,
        "Body": body,
    }


def test_it_answers_a_keyword_with_twiml(phone: Phone) -> None:
    replies = phone.text("FACES")
    assert len(replies) == 1
    assert "What's your full name?" in replies[0]


def test_it_refuses_a_webhook_without_a_signature(client, svc) -> None:
    response = client.post("/sms", data=inbound("FACES"))
    assert response.status_code == 403


def test_it_refuses_a_forged_signature(client, svc) -> None:
    headers = signed_headers("not-the-auth-token", PUBLIC_BASE_URL + "/sms", inbound("FACES"))
    response = client.post("/sms", data=inbound("FACES"), headers=headers)
    assert response.status_code == 403


def test_it_refuses_a_signature_for_another_url(client, twilio, svc) -> None:
    headers = signed_headers(twilio.auth_token, "https://elsewhere.example/sms", inbound("FACES"))
    response = client.post("/sms", data=inbound("FACES"), headers=headers)
    assert response.status_code == 403


def test_it_refuses_a_signed_request_whose_body_was_changed(client, twilio, svc) -> None:
    headers = signed_headers(twilio.auth_token, PUBLIC_BASE_URL + "/sms", inbound("FACES"))
    response = client.post("/sms", data=inbound("STOP"), headers=headers)
    assert response.status_code == 403


def test_it_stores_nothing_for_a_forged_webhook(client, svc) -> None:
    client.post("/sms", data=inbound("FACES"))
    with svc.db() as session:
        assert session.scalar(select(func.count(Message.id))) == 0


def test_it_says_400_when_required_fields_are_missing(client, twilio, svc) -> None:
    params = {"Body": "FACES", "From": "+14045550123"}
    assert post_signed(client, twilio.auth_token, "/sms", params).status_code == 400


def test_it_says_400_when_the_sender_is_no_phone_number(client, twilio, svc) -> None:
    params = inbound("FACES", sender="not a phone")
    assert post_signed(client, twilio.auth_token, "/sms", params).status_code == 400


def _rows(svc, direction: str) -> int:  # type: ignore[no-untyped-def]
    with svc.db() as session:
        return session.scalar(select(func.count(Message.id)).where(Message.direction == direction))


def test_a_retried_text_takes_effect_once_and_its_replies_still_go(
    client, twilio, phone: Phone, svc
) -> None:
    first = phone.text("FACES", sid="SM" + "a" * 32)
    # Twilio retries only when our answer did not reach it: the same replies go again.
    again = phone.text("FACES", sid="SM" + "a" * 32)
    assert first and again == first
    assert (_rows(svc, "in"), _rows(svc, "out")) == (1, 1)
    # Once Twilio reports on a reply, it took it: a later delivery gets nothing more.
    params = {"MessageSid": "SM" + "e" * 32, "MessageStatus": "sent"}
    post_signed(client, twilio.auth_token, "/sms/status?message_id=2", params)
    assert phone.text("FACES", sid="SM" + "a" * 32) == []
    assert (_rows(svc, "in"), _rows(svc, "out")) == (1, 1)


def test_a_retry_after_later_texts_gets_only_its_own_replies(phone: Phone, svc) -> None:
    phone.text("FACES", sid="SM" + "a" * 32)
    answer = phone.text("Jane Doe", sid="SM" + "b" * 32)
    assert phone.text("Jane Doe", sid="SM" + "b" * 32) == answer
    assert (_rows(svc, "in"), _rows(svc, "out")) == (2, 2)


def test_it_stores_every_text_in_and_out(phone: Phone, svc) -> None:
    phone.text("FACES")
    phone.text("Jane Doe")
    with svc.db() as session:
        rows = session.scalars(select(Message).order_by(Message.id)).all()
    assert [(m.direction, m.kind) for m in rows] == [
        ("in", None),
        ("out", "reply"),
        ("in", None),
        ("out", "reply"),
    ]
    assert rows[1].status == "sending"


def test_it_asks_twilio_for_the_status_of_each_reply(client, twilio, svc) -> None:
    response = post_signed(client, twilio.auth_token, "/sms", inbound("FACES"))
    assert f'action="{PUBLIC_BASE_URL}/sms/status?message_id=2"' in response.get_data(as_text=True)


def test_a_status_callback_names_a_reply_and_updates_it(client, twilio, svc) -> None:
    post_signed(client, twilio.auth_token, "/sms", inbound("FACES"))
    params = {"MessageSid": "SM" + "b" * 32, "MessageStatus": "delivered", "To": "+14045550123"}
    response = post_signed(client, twilio.auth_token, "/sms/status?message_id=2", params)
    assert response.status_code == 200
    with svc.db() as session:
        reply = session.get_one(Message, 2)
    assert (reply.sid, reply.status) == ("SM" + "b" * 32, "delivered")


def test_a_status_callback_stores_the_error_code(client, twilio, svc) -> None:
    post_signed(client, twilio.auth_token, "/sms", inbound("FACES"))
    params = {"MessageSid": "SM" + "c" * 32, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    post_signed(client, twilio.auth_token, "/sms/status?message_id=2", params)
    with svc.db() as session:
        reply = session.get_one(Message, 2)
    assert (reply.status, reply.error_code) == ("undelivered", 30003)


def test_a_late_status_never_moves_a_message_back(client, twilio, svc) -> None:
    post_signed(client, twilio.auth_token, "/sms", inbound("FACES"))
    for status in ("delivered", "sent"):
        params = {"MessageSid": "SM" + "d" * 32, "MessageStatus": status}
        post_signed(client, twilio.auth_token, "/sms/status?message_id=2", params)
    with svc.db() as session:
        assert session.get_one(Message, 2).status == "delivered"


def test_a_status_callback_for_an_unknown_sid_is_still_200(client, twilio, svc) -> None:
    params = {"MessageSid": "SM" + "e" * 32, "MessageStatus": "delivered"}
    assert post_signed(client, twilio.auth_token, "/sms/status", params).status_code == 200


def test_a_forged_status_callback_is_refused(client, svc) -> None:
    params = {"MessageSid": "SM" + "e" * 32, "MessageStatus": "delivered"}
    assert client.post("/sms/status", data=params).status_code == 403
