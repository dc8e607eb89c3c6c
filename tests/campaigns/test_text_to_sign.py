"""The whole petition conversation, end to end: webhook, jobs, database, fake Twilio."""

from __future__ import annotations

import threading

from helpers import BOT_NUMBER, PUBLIC_BASE_URL, Phone
from sqlalchemy import func, select

from store.models import Campaign, ConsentEvent, Message, Signature, Supporter

SLUG = "doj-face-recognition"


def sign(phone: Phone, name: str = "Jane Doe", zip_code: str = "30303") -> None:
    phone.text("FACES")
    phone.text(name)
    phone.text(zip_code)
    assert phone.text("YES") == []


def test_a_supporter_signs_in_four_texts_and_gets_a_confirmation(phone, run_jobs, svc) -> None:
    sign(phone)
    run_jobs()
    assert phone.texts_received() == [
        "Thanks, Jane, you're signer #1 of the letter to the DOJ! "
        "Ask a friend to text FACES to this number to sign too."
    ]
    with svc.db() as session:
        signature = session.scalars(select(Signature)).one()
        supporter = session.get_one(Supporter, signature.supporter_id)
    assert (supporter.phone, supporter.name, supporter.zip_code) == (
        phone.number,
        "Jane Doe",
        "30303",
    )
    assert (supporter.city, supporter.state, supporter.time_zone) == (
        "Atlanta",
        "GA",
        "America/New_York",
    )
    assert signature.number == 1 and signature.source == "sms"
    assert "Msg & data rates may apply" in signature.consent_text
    assert signature.message_sid is not None and signature.message_sid.startswith("SM")


def test_the_confirmation_is_sent_through_twilio_with_a_status_callback(
    phone, run_jobs, twilio
) -> None:
    sign(phone)
    run_jobs()
    (sent,) = twilio.messages
    assert (sent.to, sent.from_) == (phone.number, BOT_NUMBER)
    assert sent.status_callback.startswith(f"{PUBLIC_BASE_URL}/sms/status?message_id=")


def test_the_confirmation_is_stored_with_its_sid_and_follows_its_status(
    phone, run_jobs, twilio, svc
) -> None:
    sign(phone)
    run_jobs()
    (sent,) = twilio.messages
    with svc.db() as session:
        confirmation = session.scalars(select(Message).where(Message.kind == "confirmation")).one()
    assert (confirmation.sid, confirmation.status) == (sent.sid, "queued")


def test_signers_are_numbered_in_order(client, twilio, run_jobs, svc) -> None:
    for n, number in enumerate(("+14045550101", "+14045550102", "+14045550103"), 1):
        sign(Phone(client, twilio, number), name=f"Signer {'ABC'[n - 1]}")
        run_jobs()
    bodies = [m.body for m in twilio.messages]
    assert [b.split("#")[1].split(" ")[0] for b in bodies] == ["1", "2", "3"]
    with svc.db() as session:
        assert session.scalar(select(Campaign.signature_count)) == 3


def test_a_signer_who_texts_the_keyword_again_is_told_so_and_not_signed_twice(
    phone, run_jobs, svc
) -> None:
    sign(phone)
    run_jobs()
    assert "You've already signed this one, Jane" in phone.text("FACES")[0]
    with svc.db() as session:
        assert session.scalar(select(func.count(Signature.id))) == 1


def test_a_returning_supporter_is_asked_only_for_consent(client, twilio, run_jobs, svc) -> None:
    # Jane signed before, then the campaign's record of her signature is gone (a new campaign
    # would behave the same): she is asked only to confirm who she is.
    jane = Phone(client, twilio, "+14045550123")
    sign(jane)
    run_jobs()
    with svc.db.begin() as session:
        session.execute(Signature.__table__.delete())
    assert "Sign as Jane Doe, 30303?" in jane.text("FACES")[0]


def test_no_yes_no_signature(phone, run_jobs, svc) -> None:
    phone.text("FACES")
    phone.text("Jane Doe")
    phone.text("30303")
    assert "nothing was signed" in phone.text("no")[0]
    run_jobs()
    with svc.db() as session:
        assert session.scalar(select(func.count(Signature.id))) == 0
        assert session.scalar(select(func.count(ConsentEvent.id))) == 0
    assert phone.texts_received() == []


def test_the_yes_is_recorded_before_the_webhook_answers(phone, svc) -> None:
    # No worker has run: the consent event already holds everything the signature needs.
    sign(phone)
    with svc.db() as session:
        event = session.scalars(select(ConsentEvent)).one()
        supporter = session.get_one(Supporter, event.supporter_id)
    assert event.kind == "opt_in" and "Reply YES to sign" in (event.disclosure or "")
    assert supporter.name == "Jane Doe"


def test_two_texts_from_one_phone_at_once_take_effect_in_turn(app, client, twilio, svc) -> None:
    jane = Phone(client, twilio, "+14045550123")
    jane.text("FACES")
    results: dict[str, list[str]] = {}

    def send(body: str, sid: str) -> None:
        with app.test_client() as own_client:
            results[body] = Phone(own_client, twilio, jane.number).text(body, sid=sid)

    threads = [
        threading.Thread(target=send, args=("Jane Doe", "SM" + "1" * 32)),
        threading.Thread(target=send, args=("30303", "SM" + "2" * 32)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Whichever came first was read as the name question's answer; neither was lost.
    with svc.db() as session:
        inbound = session.scalar(select(func.count(Message.id)).where(Message.direction == "in"))
    assert inbound == 3
    replies = results["Jane Doe"] + results["30303"]
    assert len(replies) == 2
    asked_zip = any("ZIP code?" in r for r in replies)
    assert asked_zip


def test_the_whole_conversation_can_be_read_back(phone, run_jobs, runner) -> None:
    sign(phone)
    run_jobs()
    result = runner.invoke(args=["conversation", phone.number])
    lines = result.output.splitlines()
    assert len(lines) == 8  # four texts in, three replies, one confirmation
    assert "<- [received] FACES" in lines[0]
    assert "you're signer #1" in lines[-1]
