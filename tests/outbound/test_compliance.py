"""Opt-out, help, consent records, carrier errors, quiet hours and WhatsApp, end to end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from helpers import BOT_NUMBER, LIVE_CONTACT, Phone, post_signed
from sqlalchemy import select

from bot.recovery import requeue_unfinished
from store.models import ConsentEvent, Message, Supporter

JANE = "+14045550123"


def sign(phone: Phone) -> None:
    for body in ("FACES", "Jane Doe", "30303", "YES"):
        phone.text(body)


def events(svc) -> list[tuple[str, str | None]]:
    with svc.db() as session:
        rows = session.scalars(select(ConsentEvent).order_by(ConsentEvent.id))
        return [(e.kind, e.supporter_text) for e in rows]


def supporter(svc, phone: str = JANE) -> Supporter:
    with svc.db() as session:
        return session.scalars(select(Supporter).where(Supporter.phone == phone)).one()


def confirmation(svc) -> Message:
    with svc.db() as session:
        return session.scalars(select(Message).where(Message.kind == "confirmation")).one()


def test_stop_mid_conversation_opts_out_and_is_recorded(phone, svc) -> None:
    phone.text("FACES")
    replies = phone.text("please stop texting me")
    assert replies == [
        "You're unsubscribed from Civil Rights Text Team and will get no more texts. "
        "Reply START to resubscribe."
    ]
    assert supporter(svc).opted_out_at is not None
    assert events(svc) == [("opt_out", "please stop texting me")]
    with svc.db() as session:
        event = session.scalars(select(ConsentEvent)).one()
    assert event.message_sid and event.channel == "sms" and event.created_at is not None


def test_an_opted_out_phone_gets_nothing_until_it_opts_back_in(phone, svc) -> None:
    phone.text("STOP")
    assert phone.text("hello?") == []
    assert phone.text("ok thanks") == []
    # A keyword asks to sign: it is told the way back in, and nothing else happens.
    assert phone.text("FACES") == [
        "You opted out of texts from Civil Rights Text Team. To sign, reply START, then text "
        "FACES again."
    ]
    assert "You're subscribed again" in phone.text("START")[0]
    assert "What's your full name?" in phone.text("FACES")[0]
    assert [kind for kind, _ in events(svc)] == ["opt_out", "opt_back_in"]


def test_an_opt_out_after_yes_stops_the_confirmation_at_the_sender(
    phone, svc, twilio, run_jobs
) -> None:
    sign(phone)
    phone.text("STOP")
    run_jobs()
    assert twilio.messages == []
    assert (confirmation(svc).status, confirmation(svc).skip_reason) == ("skipped", "opted_out")


def test_twilio_advanced_opt_out_is_recorded_without_a_second_reply(client, twilio, svc) -> None:
    params = {
        "MessageSid": "SM" + "9" * 32,
        "From": JANE,
        "To": BOT_NUMBER,
        "Body": "STOP",
        "OptOutType": "STOP",
    }
    response = post_signed(client, twilio.auth_token, "/sms", params)
    assert response.status_code == 200 and "<Message" not in response.get_data(as_text=True)
    assert supporter(svc).opted_out_at is not None


@pytest.mark.parametrize("body, answered", [("STOP", False), ("please remove me", True)])
def test_with_twilio_answering_stop_the_bot_answers_only_what_twilio_does_not_know(
    settings, client, twilio, body, answered
) -> None:
    settings["STOP_REPLIES_BY"] = "twilio"
    from bot import create_app

    app = create_app(settings)
    try:
        with app.app_context():
            replies = Phone(app.test_client(), twilio, JANE).text(body)
    finally:
        with app.app_context():
            from bot.services import services

            services().db.kw["bind"].dispose()
            services().redis.close()
    assert bool(replies) is answered


def test_help_answers_and_keeps_the_place_in_the_conversation(phone) -> None:
    phone.text("FACES")
    phone.text("Jane Doe")
    assert LIVE_CONTACT in phone.text("HELP")[0]
    assert "Reply YES to sign" in phone.text("30303")[0]


def test_a_send_twilio_refuses_with_21610_opts_the_phone_out(phone, svc, twilio, run_jobs) -> None:
    twilio.reject_to(JANE, 21610)
    sign(phone)
    run_jobs()
    assert supporter(svc).opted_out_at is not None
    assert events(svc)[-1][0] == "carrier_opt_out"
    assert (confirmation(svc).status, confirmation(svc).error_code) == ("failed", 21610)


def test_a_landline_found_by_a_status_callback_is_skipped_from_then_on(
    phone, client, svc, twilio, run_jobs
) -> None:
    sign(phone)
    run_jobs()
    sent = confirmation(svc)
    params = {"MessageSid": sent.sid, "MessageStatus": "undelivered", "ErrorCode": "30006"}
    post_signed(client, twilio.auth_token, f"/sms/status?message_id={sent.id}", params)
    assert (supporter(svc).undeliverable_at is not None, supporter(svc).undeliverable_reason) == (
        True,
        "landline",
    )
    with svc.db.begin() as session:
        session.add(Message(direction="out", phone=JANE, body="Action alert", status="pending"))
    requeue_unfinished(svc)
    run_jobs()
    with svc.db() as session:
        alert = session.scalars(select(Message).where(Message.body == "Action alert")).one()
    assert (alert.status, alert.skip_reason) == ("skipped", "undeliverable:landline")


def test_unreachable_marks_a_phone_undeliverable_only_after_repeated_failures(
    phone, client, svc, twilio
) -> None:
    phone.text("FACES")  # the supporter row comes with the first stored profile or opt-in
    sign(phone)
    for attempt in range(1, 4):
        with svc.db.begin() as session:
            message = Message(direction="out", phone=JANE, body=f"alert {attempt}", status="sent")
            session.add(message)
            session.flush()
            message_id = message.id
        params = {
            "MessageSid": f"SM{attempt:032d}",
            "MessageStatus": "undelivered",
            "ErrorCode": "30003",
        }
        post_signed(client, twilio.auth_token, f"/sms/status?message_id={message_id}", params)
        reached_limit = supporter(svc).undeliverable_at is not None
        assert reached_limit is (attempt == 3)


def test_consent_events_cannot_be_changed(phone, svc) -> None:
    phone.text("STOP")
    with pytest.raises(ValueError, match="never changed"), svc.db.begin() as session:
        session.scalars(select(ConsentEvent)).one().kind = "opt_in"


def test_the_consent_log_prints_one_persons_history_and_exports_all(phone, svc, runner) -> None:
    sign(phone)
    phone.text("stop texting me")
    phone.text("START")
    history = runner.invoke(args=["consent-log", JANE]).output.splitlines()
    assert [line.split()[1] for line in history] == ["opt_in", "opt_out", "opt_back_in"]
    assert "'stop texting me'" in history[1]
    exported = runner.invoke(args=["consent-log", "--csv"]).output.splitlines()
    assert exported[0] == (
        "at,phone,kind,channel,campaign,message_sid,disclosure,supporter_text,source,entered_by"
    )
    assert len(exported) == 4 and "doj-face-recognition" in exported[1]


def at(hour: int, minute: int = 0) -> datetime:
    """A moment on 2026-06-10 in Atlanta (EDT, UTC-4)."""
    return datetime(2026, 6, 10, hour, minute, tzinfo=UTC) + timedelta(hours=4)


def test_a_prompt_confirmation_goes_out_even_late_at_night(phone, svc, twilio, run_jobs) -> None:
    svc.clock = lambda: at(22, 30)
    sign(phone)
    run_jobs()
    assert len(twilio.messages) == 1


def test_a_late_confirmation_waits_for_the_supporters_morning(phone, svc, twilio, run_jobs) -> None:
    svc.clock = lambda: at(19, 0)
    sign(phone)
    svc.redis.flushdb()  # the job was lost; the sweep finds the YES at night
    svc.clock = lambda: at(22, 30)
    requeue_unfinished(svc)
    run_jobs()
    assert twilio.messages == []
    held = confirmation(svc)
    assert held.status == "held"
    assert held.send_after.astimezone(UTC) == at(9, 0) + timedelta(days=1)
    svc.clock = lambda: at(9, 1) + timedelta(days=1)
    requeue_unfinished(svc)
    run_jobs()
    assert len(twilio.messages) == 1


def whatsapp(client, twilio, body: str, n: int) -> list[str]:
    from helpers import twiml_messages

    params = {
        "MessageSid": f"SM{n:032d}",
        "From": f"whatsapp:{JANE}",
        "To": f"whatsapp:{BOT_NUMBER}",
        "Body": body,
    }
    response = post_signed(client, twilio.auth_token, "/sms", params)
    return twiml_messages(response.get_data(as_text=True))


def test_the_conversation_works_on_whatsapp_and_confirms_there(
    client, twilio, svc, run_jobs
) -> None:
    for n, body in enumerate(("FACES", "Jane Doe", "30303"), 1):
        assert whatsapp(client, twilio, body, n)
    assert whatsapp(client, twilio, "YES", 4) == []
    run_jobs()
    (sent,) = twilio.messages
    assert (sent.to, sent.from_) == (f"whatsapp:{JANE}", f"whatsapp:{BOT_NUMBER}")
    with svc.db() as session:
        channels = set(session.scalars(select(Message.channel)))
    assert channels == {"whatsapp"}


def test_a_whatsapp_message_outside_the_24_hour_window_is_skipped_without_a_template(
    client, twilio, svc, run_jobs
) -> None:
    svc.clock = lambda: at(12, 0)
    for n, body in enumerate(("FACES", "Jane Doe", "30303", "YES"), 1):
        whatsapp(client, twilio, body, n)
    svc.redis.flushdb()  # the confirmation's job was lost, and is found a day later
    svc.clock = lambda: at(13, 0) + timedelta(days=1)
    requeue_unfinished(svc)
    run_jobs()
    assert twilio.messages == []
    assert (confirmation(svc).status, confirmation(svc).skip_reason) == (
        "skipped",
        "whatsapp_window",
    )


def test_whatsapp_error_63016_is_recorded_as_outside_the_window(
    client, twilio, svc, run_jobs
) -> None:
    twilio.reject_to(f"whatsapp:{JANE}", 63016)
    for n, body in enumerate(("FACES", "Jane Doe", "30303", "YES"), 1):
        whatsapp(client, twilio, body, n)
    run_jobs()
    sent = confirmation(svc)
    assert (sent.status, sent.error_code, sent.skip_reason) == ("failed", 63016, "whatsapp_window")


CONFIRMATION_TEMPLATE = (
    "\nwhatsapp_templates:\n"
    "  confirmation:\n"
    "    content_sid: HX" + "1" * 32 + "\n"
    '    text: "Thanks, {{1}}! You\'re signer #{{2}} of our letter to the DOJ."\n'
    "    variables: [first_name, number]\n"
)


def test_outside_the_window_an_approved_template_is_sent_with_only_what_changes(
    settings, twilio, tmp_path, run_jobs
) -> None:
    import json
    import shutil

    from bot import create_app
    from bot.services import services

    shutil.copytree(settings["CAMPAIGNS_DIR"], tmp_path / "campaigns")
    campaign_file = tmp_path / "campaigns" / "doj-face-recognition.yaml"
    campaign_file.write_text(
        campaign_file.read_text(encoding="utf-8") + CONFIRMATION_TEMPLATE, encoding="utf-8"
    )
    settings["CAMPAIGNS_DIR"] = str(tmp_path / "campaigns")
    app = create_app(settings)
    with app.app_context():
        svc = services()
        try:
            client = app.test_client()
            svc.clock = lambda: at(12, 0)
            for n, body in enumerate(("FACES", "Jane Doe", "30303", "YES"), 1):
                whatsapp(client, twilio, body, n)
            svc.redis.flushdb()
            svc.clock = lambda: at(13, 0) + timedelta(days=1)
            requeue_unfinished(svc)
            from rq.worker import SimpleWorker

            SimpleWorker(list(svc.queues.values()), connection=svc.redis).work(burst=True)
        finally:
            svc.db.kw["bind"].dispose()
            svc.redis.close()
    (sent,) = twilio.messages
    assert sent.params["ContentSid"] == "HX" + "1" * 32
    assert json.loads(sent.params["ContentVariables"]) == {"1": "Jane", "2": "1"}


def test_a_spanish_signer_gets_the_confirmation_in_spanish(phone, twilio, svc, run_jobs) -> None:
    for body in ("CARAS", "me llamo Ana López", "mi código postal es 30303", "sí"):
        phone.text(body)
    run_jobs()
    (sent,) = twilio.messages
    assert "Ana" in sent.body and "CARAS" in sent.body and "FACES" not in sent.body
    assert supporter(svc).language == "es"


def test_a_second_stop_gets_no_second_confirmation(phone, svc) -> None:
    assert "You're unsubscribed" in phone.text("STOP")[0]
    assert phone.text("STOP") == []
    assert phone.text("stop texting me!") == []
    # Each is heard and kept in the consent log; only the first is answered.
    assert [kind for kind, _ in events(svc)] == ["opt_out", "opt_out", "opt_out"]
    assert supporter(svc).opted_out_at is not None


def test_only_a_clear_opt_in_resubscribes_on_sms_and_whatsapp(phone, client, twilio, svc) -> None:
    phone.text("STOP")
    for body in ("ok", "k", "👍", "sure", "ok thanks", "si"):
        assert phone.text(body) == []
    assert supporter(svc).opted_out_at is not None
    assert "You're subscribed again" in phone.text("Yes!")[0]
    whatsapp(client, twilio, "STOP", 1)
    assert whatsapp(client, twilio, "ok", 2) == []
    assert whatsapp(client, twilio, "👍", 3) == []
    assert supporter(svc).opted_out_at is not None
    assert "You're subscribed again" in whatsapp(client, twilio, "START", 4)[0]
    assert supporter(svc).opted_out_at is None


def test_a_wrong_number_opts_out_and_forgets_the_last_owner(phone, svc, run_jobs) -> None:
    sign(phone)
    run_jobs()
    assert phone.text("wrong number") == [
        "Sorry about that! We've removed this number and Civil Rights Text Team will send it no "
        "more texts. Reply START if you ever want them."
    ]
    assert supporter(svc).opted_out_at is not None
    assert supporter(svc).reassigned_at is not None
    phone.text("START")
    # The new owner is neither greeted as Jane nor told they signed: they start fresh.
    assert "What's your full name?" in phone.text("FACES")[0]
    assert phone.text("Ana Ruiz") == ["Thanks, Ana! What's your 5-digit ZIP code?"]
    (consent,) = phone.text("30303")
    assert "will add Ana Ruiz (Atlanta, GA)" in consent
    # Jane's signature keeps her name until the new owner gives theirs.
    assert supporter(svc).name == "Jane Doe"


def test_a_spanish_wrong_number_is_confirmed_in_spanish_and_forgets_the_name(phone, svc) -> None:
    for body in ("FACES", "Jane Doe"):
        phone.text(body)
    (reply,) = phone.text("número equivocado")
    assert reply.startswith("¡Disculpa! Quitamos este número")
    assert supporter(svc).reassigned_at is not None and supporter(svc).language == "es"


def test_a_broadcast_waits_for_the_later_of_the_zip_and_area_code_mornings(
    svc, twilio, run_jobs
) -> None:
    from signers import CAMPAIGN, Signer, add_signers

    from bot.broadcasts import service as broadcasts
    from bot.broadcasts.audience import Audience

    # A Seattle number that signed with an Atlanta ZIP: either place may be where they are.
    add_signers(svc, [Signer("+12065550123", time_zone="America/New_York")])
    svc.clock = lambda: at(10, 0)  # 07:00 in Seattle
    broadcasts.start(svc, broadcasts.create(svc, CAMPAIGN, Audience(), "Call today."))
    run_jobs()
    assert twilio.messages == []
    with svc.db() as session:
        held = session.scalars(select(Message).where(Message.kind == "broadcast")).one()
    assert held.status == "held"
    assert held.send_after.astimezone(UTC) == at(12, 0)  # 09:00 in Seattle


def test_someone_who_signed_at_an_event_on_whatsapp_gets_broadcasts_on_whatsapp(
    client, twilio, svc, runner, run_jobs
) -> None:
    from signers import CAMPAIGN

    from bot.broadcasts import service as broadcasts
    from bot.broadcasts.audience import Audience

    result = runner.invoke(
        args=["events", "create", "atlanta-rally", "--campaign", CAMPAIGN,
              "--keyword", "FACESATL", "--name", "the Atlanta rally"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    svc.clock = lambda: at(12, 0)
    for n, body in enumerate(("FACESATL", "Jane Doe", "30303", "YES"), 1):
        whatsapp(client, twilio, body, n)
    run_jobs()
    broadcasts.start(svc, broadcasts.create(svc, CAMPAIGN, Audience(), "Rally Tuesday!"))
    run_jobs()
    confirmation, update = twilio.messages
    assert update.body == "Rally Tuesday!"
    assert (update.to, update.from_) == (f"whatsapp:{JANE}", f"whatsapp:{BOT_NUMBER}")
