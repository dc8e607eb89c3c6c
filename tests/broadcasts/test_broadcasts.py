"""Broadcasts as an organizer runs them: preview, send, follow, pause, test, and the replies."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import current_app
from helpers import PUBLIC_BASE_URL, Phone, post_signed
from rq import Queue
from signers import CAMPAIGN, Signer, add_signers, atlanta
from sqlalchemy import select, update

from bot.broadcasts import service as broadcasts
from bot.broadcasts.audience import Audience
from bot.broadcasts.jobs import plan_broadcast, send_broadcast_slice
from bot.broadcasts.service import BroadcastError
from bot.lib.segments import GSM_7, UCS_2
from store.models import Broadcast, Message

JANE = "+14045550123"  # the `phone` fixture's number


@pytest.fixture
def settings(settings: dict[str, Any]) -> dict[str, Any]:
    return settings | {"TWILIO_MPS": "1000", "SEND_WINDOW": "00:00-24:00"}


@pytest.fixture
def inline(svc) -> None:
    """Run jobs as they are queued, as the embedded default does: no worker needed."""
    svc.queues = {name: Queue(name, connection=svc.redis, is_async=False) for name in svc.queues}


def test_the_preview_counts_who_gets_it_who_not_and_why_and_the_cost(svc, twilio) -> None:
    add_signers(
        svc,
        [
            *atlanta(3),
            Signer("+14045550010", opted_out=True),
            Signer("+14045550011", disclosure=""),
        ],
    )
    preview = broadcasts.preview(svc, CAMPAIGN, Audience(), "Hi {first_name}, call today!")
    assert preview.receiving == 3
    assert preview.excluded == {"opted_out": 1, "no_consent": 1}
    assert preview.matched == 5
    assert (preview.segments.encoding, preview.segments.count) == (GSM_7, 1)
    assert preview.cost == pytest.approx(3 * 0.0079)
    assert twilio.messages == []
    with svc.db() as session:
        assert session.scalars(select(Broadcast)).all() == []


def test_the_preview_names_the_characters_that_make_it_cost_more(svc) -> None:
    add_signers(svc, atlanta(2))
    body = "Rally at 6pm — bring a friend! " * 3
    preview = broadcasts.preview(svc, CAMPAIGN, Audience(), body)
    assert preview.segments.encoding == UCS_2
    assert preview.segments.unicode_characters == ("—",)
    assert preview.segments.count == 2
    assert preview.cost == pytest.approx(2 * 2 * 0.0079)


def test_the_price_per_segment_is_a_setting(settings, app, svc) -> None:
    del settings, app
    from dataclasses import replace

    svc.settings = replace(svc.settings, price_per_segment=0.01)
    add_signers(svc, atlanta(10))
    assert broadcasts.preview(svc, CAMPAIGN, Audience(), "Hi").cost == pytest.approx(0.10)


def test_a_message_with_an_unknown_placeholder_or_campaign_is_refused(svc) -> None:
    with pytest.raises(BroadcastError, match=r"\{name\}"):
        broadcasts.create(svc, CAMPAIGN, Audience(), "Hi {name}")
    with pytest.raises(BroadcastError, match="no campaign"):
        broadcasts.preview(svc, "no-such-campaign", Audience(), "Hi")
    with pytest.raises(BroadcastError, match="limit"):
        broadcasts.create(svc, CAMPAIGN, Audience(), "a" * 1601)


def test_send_with_yes_previews_sends_and_prints_the_broadcast_id(
    svc, twilio, runner, inline
) -> None:
    add_signers(svc, [*atlanta(2), Signer("+14045550010", opted_out=True)])
    result = runner.invoke(
        args=["broadcast", "send", CAMPAIGN, "--message", "Hi {first_name}!", "--yes"]
    )
    assert result.exit_code == 0, result.output
    assert "will receive:    2" in result.output
    assert "left out:        1 (opted_out 1)" in result.output
    assert "encoding:        GSM-7" in result.output
    assert "estimated cost:  $0.02" in result.output
    assert "Broadcast 1: done; 2 sent" in result.output
    assert sorted(m.body for m in twilio.messages) == ["Hi Signer1!", "Hi Signer2!"]


def test_send_asks_first_and_a_no_sends_nothing(svc, twilio, runner, inline) -> None:
    add_signers(svc, atlanta(2))
    result = runner.invoke(
        args=["broadcast", "send", CAMPAIGN, "--message", "Hi", "--state", "GA"], input="n\n"
    )
    assert result.exit_code == 1
    assert "Send it to 2 people now?" in result.output
    assert twilio.messages == []
    with svc.db() as session:
        assert session.scalars(select(Broadcast)).all() == []


def test_send_follows_the_worker_with_a_progress_bar_until_done(svc, twilio, runner) -> None:
    add_signers(svc, atlanta(5))
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def worker() -> None:
        # A worker elsewhere: it finds the broadcast, plans it, and sends it a while later.
        with app.app_context():
            while not _exists(svc):
                time.sleep(0.05)
            time.sleep(1.5)
            plan_broadcast(1)
            time.sleep(1.5)
            send_broadcast_slice(1)

    thread = threading.Thread(target=worker)
    thread.start()
    result = runner.invoke(args=["broadcast", "send", CAMPAIGN, "--message", "Hi", "--yes"])
    thread.join()
    assert result.exit_code == 0, result.output
    assert "Sending" in result.output
    assert "Broadcast 1: done; 5 sent" in result.output
    assert len(twilio.messages) == 5


def _exists(svc: Any) -> bool:
    with svc.db() as session:
        return session.scalar(select(Broadcast.id)) is not None


def test_a_scheduled_send_says_when_and_sends_nothing_yet(svc, twilio, runner, inline) -> None:
    add_signers(svc, atlanta(2))
    result = runner.invoke(
        args=["broadcast", "send", CAMPAIGN, "--message", "Hi", "--at", "2030-05-01T18:00-04:00"],
        input="y\n",
    )
    assert result.exit_code == 0, result.output
    assert "Broadcast 1 is scheduled at 2030-05-01T18:00:00-04:00." in result.output
    assert twilio.messages == []


def test_a_time_without_a_zone_is_refused(svc, runner) -> None:
    add_signers(svc, atlanta(1))
    result = runner.invoke(
        args=["broadcast", "send", CAMPAIGN, "--message", "Hi", "--at", "2030-05-01T18:00"]
    )
    assert result.exit_code == 2
    assert "time zone" in result.output


def test_filters_from_the_terminal_narrow_who_gets_it(svc, twilio, runner, inline) -> None:
    add_signers(
        svc,
        [
            Signer("+14045550001", language="es"),
            Signer("+14045550002", language="en"),
            Signer(
                "+12135550003",
                zip_code="90012",
                city="Los Angeles",
                state="CA",
                language="es",
                time_zone="America/Los_Angeles",
            ),
        ],
    )
    args = ["broadcast", "send", CAMPAIGN, "--message", "¡Hola!", "--yes"]
    result = runner.invoke(args=[*args, "--state", "ga", "--language", "es", "--zip-prefix", "30"])
    assert result.exit_code == 0, result.output
    assert "signers in GA, ZIP 30…, language es" in result.output
    assert [m.to for m in twilio.messages] == ["+14045550001"]


def test_status_prints_the_figures_and_the_replies(svc, twilio, client, inline) -> None:
    add_signers(
        svc, [Signer(JANE, name="Jane Doe"), *atlanta(2), Signer("+14045550010", opted_out=True)]
    )
    broadcast_id = broadcasts.create(svc, CAMPAIGN, Audience(), "Rally Sat. Reply YES to RSVP")
    broadcasts.start(svc, broadcast_id)
    Phone(client, twilio, JANE).text("yes!")
    Phone(client, twilio, "+14045551000").text("YES")
    Phone(client, twilio, "+14045551001").text("can't make it")
    report = broadcasts.report(svc, broadcast_id)
    assert (report.planned, report.sent, report.waiting, report.failed) == (4, 3, 0, 0)
    assert report.skipped == {"opted_out": 1}
    assert report.replies == 3
    assert report.tally == [("yes", 2), ("can't make it", 1)]
    assert [r.body for r in report.latest_replies] == ["can't make it", "YES", "yes!"]
    result = current_app.test_cli_runner().invoke(args=["broadcast", "status", str(broadcast_id)])
    assert "sent:      3" in result.output
    assert "skipped:   1 (opted_out 1)" in result.output
    assert "replies:   3 ('yes' 2, \"can't make it\" 1)" in result.output


def test_delivery_reports_come_back_into_the_figures(svc, twilio, client, inline) -> None:
    add_signers(svc, atlanta(3))
    broadcast_id = broadcasts.create(svc, CAMPAIGN, Audience(), "Hi")
    broadcasts.start(svc, broadcast_id)
    first, second, _ = twilio.messages
    for sent, status in ((first, "delivered"), (second, "undelivered")):
        params = {"MessageSid": sent.sid, "MessageStatus": status, "AccountSid": twilio.account_sid}
        path = sent.status_callback.removeprefix(PUBLIC_BASE_URL)
        assert post_signed(client, twilio.auth_token, path, params).status_code == 200
    report = broadcasts.report(svc, broadcast_id)
    assert (report.sent, report.delivered, report.failed) == (3, 1, 1)


def test_pause_resume_and_cancel_from_the_terminal(svc, twilio, runner) -> None:
    add_signers(svc, atlanta(4))
    broadcast_id = broadcasts.create(svc, CAMPAIGN, Audience(), "Hi")
    broadcasts.start(svc, broadcast_id)
    assert "Broadcast 1: paused" in runner.invoke(args=["broadcast", "pause", "1"]).output
    plan_broadcast(broadcast_id)  # a paused broadcast is not planned
    assert broadcasts.report(svc, broadcast_id).planned == 0
    assert "Broadcast 1: planning" in runner.invoke(args=["broadcast", "resume", "1"]).output
    assert "Broadcast 1: canceled" in runner.invoke(args=["broadcast", "cancel", "1"]).output
    again = runner.invoke(args=["broadcast", "resume", "1"])
    assert again.exit_code == 1 and "canceled" in again.output
    assert twilio.messages == []


def test_a_test_goes_to_one_phone_written_for_whoever_has_it(svc, twilio, runner) -> None:
    add_signers(svc, [Signer(JANE, name="Jane Doe", city="Atlanta")])
    args = ["broadcast", "test", CAMPAIGN, "--message", "Hi {first_name} in {city}!"]
    result = runner.invoke(args=[*args, "--to", "(404) 555-0123"])
    assert result.exit_code == 0, result.output
    assert "To +14045550123: Hi Jane in Atlanta!" in result.output
    assert [m.body for m in twilio.messages] == ["Hi Jane in Atlanta!"]
    stranger = runner.invoke(args=[*args, "--to", "+1 404 555 0199"])
    assert "To +14045550199: Hi in!" in stranger.output  # nothing known, nothing made up


def test_a_test_twilio_cannot_take_now_is_tried_again_later(svc, twilio, runner) -> None:
    twilio.fail_next(1, status=503)
    args = ["broadcast", "test", CAMPAIGN, "--message", "Hi", "--to", JANE]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "did not take it yet" in result.output
    assert twilio.messages == []


def test_a_test_to_an_opted_out_phone_is_not_sent(svc, twilio, runner) -> None:
    add_signers(svc, [Signer(JANE, opted_out=True)])
    result = runner.invoke(args=["broadcast", "test", CAMPAIGN, "--message", "Hi", "--to", JANE])
    assert "Not sent: opted_out." in result.output
    assert twilio.messages == []


def test_an_answer_to_a_broadcast_is_filed_with_it_and_thanked(svc, twilio, phone, inline) -> None:
    add_signers(svc, [Signer(JANE)])
    broadcast_id = broadcasts.create(svc, CAMPAIGN, Audience(), "Rally Sat. Reply YES to RSVP")
    broadcasts.start(svc, broadcast_id)
    assert phone.text("YES") == ["Thanks, we got your reply! Reply HELP for help, STOP to stop."]
    with svc.db() as session:
        answer = session.scalars(select(Message).where(Message.direction == "in")).one()
        assert answer.broadcast_id == broadcast_id
    assert "Reply STOP to stop" in phone.text("HELP")[0]
    assert "unsubscribed" in phone.text("STOP")[0]
    assert broadcasts.report(svc, broadcast_id).replies == 1  # HELP and STOP are not answers


def test_a_text_long_after_a_broadcast_gets_the_menu_again(svc, twilio, phone, inline) -> None:
    add_signers(svc, [Signer(JANE)])
    broadcast_id = broadcasts.create(svc, CAMPAIGN, Audience(), "Rally Sat.")
    broadcasts.start(svc, broadcast_id)
    with svc.db.begin() as session:
        session.execute(update(Message).values(updated_at=datetime.now(UTC) - timedelta(hours=73)))
    assert "Text FACES" in phone.text("hello?")[0]
    assert broadcasts.report(svc, broadcast_id).replies == 0


def test_a_broadcast_that_never_reached_the_phone_takes_no_answers(
    svc, twilio, phone, inline
) -> None:
    add_signers(svc, [Signer(JANE)])
    twilio.reject_to(JANE, 30006)
    broadcast_id = broadcasts.create(svc, CAMPAIGN, Audience(), "Rally Sat.")
    broadcasts.start(svc, broadcast_id)
    assert "Text FACES" in phone.text("what?")[0]
    assert broadcasts.report(svc, broadcast_id).replies == 0
