"""Outbound webhooks: signed per Standard Webhooks, sent by the worker, retried for a day."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import Phone
from rq import Queue
from signers import Signer, add_signers
from sqlalchemy import event, select
from standardwebhooks import Webhook

from bot.broadcasts import service as broadcasts
from bot.broadcasts.audience import Audience
from bot.integrations.attempts import BACKOFF, LEASE
from bot.integrations.pump import pump
from store.models import OutboxEvent, WebhookDelivery

CAMPAIGN = "doj-face-recognition"


@pytest.fixture
def settings(settings: dict[str, Any]) -> dict[str, Any]:
    return settings | {"TWILIO_MPS": "1000", "SEND_WINDOW": "00:00-24:00"}


def subscribe(runner: Any, url: str, events: str | None = None) -> str:
    """Add a webhook from the terminal; return the secret it prints last."""
    args = ["webhooks", "add", url] + (["--events", events] if events else [])
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    return str(result.output.strip().splitlines()[-1])


def sign(phone: Phone, run_jobs: Any) -> None:
    for body in ("FACES", "Jane Doe", "30303", "YES"):
        phone.text(body)
    run_jobs()  # the signature job


def delivery(svc: Any) -> WebhookDelivery:
    with svc.db() as session:
        return session.scalars(select(WebhookDelivery)).one()


def test_a_new_signature_reaches_a_subscriber_signed_as_standard_webhooks_says(
    svc, phone, runner, receiver, run_jobs, run_integrations
) -> None:
    secret = subscribe(runner, f"{receiver.url}/hooks", "signature.created")
    assert secret.startswith("whsec_")
    sign(phone, run_jobs)
    run_integrations()
    [request] = receiver.received
    assert request.path == "/hooks"
    assert request.headers["content-type"] == "application/json"
    # The reference library checks the id, the timestamp and the signature over the body.
    event = Webhook(secret).verify(request.body, request.headers)
    assert event["type"] == "signature.created"
    assert event["data"]["signature"]["campaign"] == CAMPAIGN
    assert event["data"]["signature"]["number"] == 1
    assert event["data"]["signature"]["source"] == "sms"
    assert event["data"]["supporter"] == {
        "phone": "+14045550123",
        "name": "Jane Doe",
        "first_name": "Jane",
        "last_name": "Doe",
        "zip": "30303",
        "city": "Atlanta",
        "state": "GA",
        "language": "en",
        "opted_out": False,
    }
    assert delivery(svc).status == "delivered"
    assert delivery(svc).response_code == 204


def test_a_signature_made_with_another_secret_does_not_verify(
    svc, phone, runner, receiver, run_jobs, run_integrations
) -> None:
    subscribe(runner, receiver.url)
    sign(phone, run_jobs)
    run_integrations()
    [request] = receiver.received
    with pytest.raises(Exception, match="No matching signature"):
        Webhook("whsec_" + "A" * 32).verify(request.body, request.headers)


def test_texting_stop_sends_only_the_events_asked_for_and_only_from_the_worker(
    svc, phone, runner, receiver, run_jobs, run_integrations
) -> None:
    secret = subscribe(runner, receiver.url, "supporter.opted_out")
    phone.text("STOP")
    phone.text("START")
    # The webhook wrote its events and returned: nothing was sent while the text waited.
    assert receiver.received == []
    with svc.db() as session:
        assert session.scalars(select(OutboxEvent.kind).order_by(OutboxEvent.id)).all() == [
            "supporter.opted_out",
            "supporter.opted_in",
        ]
    run_integrations()
    [request] = receiver.received
    event = Webhook(secret).verify(request.body, request.headers)
    assert event["type"] == "supporter.opted_out"
    assert event["data"]["phone"] == "+14045550123"
    assert event["data"]["reason"] == "keyword"
    assert event["data"]["channel"] == "sms"


def test_a_receiver_that_is_down_gets_the_event_later_with_the_same_id(
    svc, phone, runner, receiver, run_jobs, run_integrations, later
) -> None:
    subscribe(runner, receiver.url)
    receiver.fail_next(2, status=503)
    phone.text("STOP")
    run_integrations()
    first = delivery(svc)
    assert (first.status, first.attempts, first.response_code) == ("pending", 1, 503)
    assert "HTTP 503" in (first.error or "")
    run_integrations()  # not due yet: nothing sent
    assert len(receiver.received) == 1
    later(BACKOFF[0] + 1)
    run_integrations()
    assert len(receiver.received) == 2
    later(BACKOFF[1] + 1)
    run_integrations()
    assert delivery(svc).status == "delivered"
    assert delivery(svc).attempts == 3
    ids = {request.headers["webhook-id"] for request in receiver.received}
    assert len(ids) == 1  # one event: receivers drop the repeats by its id


def test_after_a_day_of_failures_a_delivery_fails_and_can_be_sent_again(
    svc, phone, runner, receiver, run_jobs, run_integrations, later
) -> None:
    subscribe(runner, receiver.url)
    receiver.fail_next(len(BACKOFF) + 1, status=500)
    phone.text("STOP")
    run_integrations()
    waited = 0
    for seconds in BACKOFF:
        waited += seconds
        later(seconds + 1)
        run_integrations()
    assert waited >= 24 * 3600
    failed = delivery(svc)
    assert (failed.status, failed.attempts) == ("failed", len(BACKOFF) + 1)
    log = runner.invoke(args=["webhooks", "log"]).output
    assert "supporter.opted_out" in log and "failed" in log and "answer 500" in log
    result = runner.invoke(args=["webhooks", "resend", str(failed.id)])
    assert result.exit_code == 0, result.output
    run_jobs()
    assert delivery(svc).status == "delivered"
    assert len(receiver.received) == len(BACKOFF) + 2


def test_a_delivery_whose_job_was_lost_is_queued_again_after_its_lease(
    svc, phone, runner, receiver, run_jobs, run_integrations, later
) -> None:
    subscribe(runner, receiver.url)
    phone.text("STOP")
    pump(svc)
    svc.redis.flushdb()  # Redis lost the queued job
    run_jobs()
    run_integrations()
    assert receiver.received == []  # leased to the lost job a while yet
    later(LEASE.total_seconds() + 1)
    run_integrations()
    assert len(receiver.received) == 1


def test_an_unreachable_receiver_is_logged_and_tried_again(
    svc, phone, runner, run_jobs, run_integrations
) -> None:
    subscribe(runner, "http://127.0.0.1:9/nothing-listens-here")
    phone.text("STOP")
    run_integrations()
    down = delivery(svc)
    assert (down.status, down.response_code) == ("pending", None)
    assert "ConnectionError" in (down.error or "")


def test_webhooks_are_listed_and_removed_and_a_removed_one_gets_nothing(
    svc, phone, runner, receiver, run_jobs, run_integrations
) -> None:
    subscribe(runner, receiver.url, "supporter.opted_out,supporter.opted_in")
    listed = runner.invoke(args=["webhooks", "list"]).output
    assert receiver.url in listed and "supporter.opted_out,supporter.opted_in" in listed
    phone.text("STOP")
    pump(svc)  # a delivery is made, not yet sent
    assert runner.invoke(args=["webhooks", "remove", receiver.url]).exit_code == 0
    run_jobs()
    phone.text("START")
    run_integrations()
    assert receiver.received == []
    assert delivery(svc).status == "canceled"
    assert runner.invoke(args=["webhooks", "list"]).output == ""
    assert runner.invoke(args=["webhooks", "remove", "1"]).exit_code != 0


def test_an_unknown_event_or_address_is_refused(runner) -> None:
    result = runner.invoke(args=["webhooks", "add", "https://x.example/h", "--events", "nope"])
    assert result.exit_code != 0 and "unknown event nope" in result.output
    result = runner.invoke(args=["webhooks", "add", "ftp://x.example/h"])
    assert result.exit_code != 0 and "not an http" in result.output


def test_a_reply_to_a_broadcast_and_its_finish_are_sent(
    svc, phone, runner, receiver, run_jobs, run_integrations
) -> None:
    secret = subscribe(runner, receiver.url, "broadcast.reply,broadcast.finished")
    add_signers(svc, [Signer(phone.number)])
    broadcast_id = broadcasts.create(svc, CAMPAIGN, Audience(), "Rally Sat. Reply YES to RSVP")
    broadcasts.start(svc, broadcast_id)
    run_jobs()
    phone.text("yes!")
    run_integrations()
    events = [Webhook(secret).verify(r.body, r.headers) for r in receiver.received]
    assert [e["type"] for e in events] == ["broadcast.finished", "broadcast.reply"]
    finished, reply = (e["data"] for e in events)
    assert finished["broadcast_id"] == broadcast_id
    assert finished["campaign"] == CAMPAIGN
    assert finished["status"] == "done"
    assert finished["finished_at"].endswith("Z")
    assert reply == {
        "broadcast_id": broadcast_id,
        "campaign": CAMPAIGN,
        "phone": phone.number,
        "body": "yes!",
        "received_at": reply["received_at"],
    }


def test_a_canceled_broadcast_is_finished_too(
    svc, runner, receiver, run_jobs, run_integrations
) -> None:
    subscribe(runner, receiver.url, "broadcast.finished")
    add_signers(svc, [Signer("+14045550001")])
    broadcast_id = broadcasts.create(svc, CAMPAIGN, Audience(), "Rally Sat.")
    broadcasts.cancel(svc, broadcast_id)
    run_jobs()
    run_integrations()
    [request] = receiver.received
    assert json.loads(request.body)["data"]["status"] == "canceled"


def test_integrations_wait_behind_replies_and_broadcasts(svc) -> None:
    # A worker takes its queues in this order: a slow receiver never delays a text.
    assert list(svc.queues) == ["replies", "broadcasts", "integrations"]
    assert all(isinstance(queue, Queue) for queue in svc.queues.values())


def test_a_carrier_opt_out_is_sent_as_an_opt_out(
    svc, phone, runner, receiver, twilio, run_jobs, run_integrations
) -> None:
    secret = subscribe(runner, receiver.url, "supporter.opted_out")
    twilio.reject_to(phone.number, 21610)  # the confirmation is refused: unsubscribed
    sign(phone, run_jobs)
    run_integrations()
    [request] = receiver.received
    event = Webhook(secret).verify(request.body, request.headers)
    assert event["data"]["phone"] == phone.number
    assert event["data"]["reason"] == "carrier"


def test_a_text_costs_the_same_however_many_tools_listen(
    svc, client, twilio, runner, receiver
) -> None:
    engine = svc.db.kw["bind"]

    def statements_for(number: str, body: str) -> list[str]:
        seen: list[str] = []

        def note(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", note)
        try:
            Phone(client, twilio, number).text(body)
        finally:
            event.remove(engine, "before_cursor_execute", note)
        return seen

    statements_for("+14045550009", "STOP")  # the first text loads what every text reuses
    alone = statements_for("+14045550001", "STOP")
    for n in range(3):
        subscribe(runner, f"{receiver.url}/{n}")
    watched = statements_for("+14045550002", "STOP")
    # The opt-out writes its one event in its own transaction, whoever listens; no fan-out,
    # no call, no look-up of subscriptions while the person waits for the answer.
    assert len(watched) == len(alone)
    assert sum("outbox_events" in statement for statement in watched) == 1
    assert receiver.received == []
