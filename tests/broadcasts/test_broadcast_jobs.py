"""A broadcast's jobs: planned in SQL, sent in slices, once each, at the sender's pace."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from signers import Signer, add_signers, atlanta
from sqlalchemy import func, select, update

from bot.broadcasts import service as broadcasts
from bot.broadcasts.audience import Audience
from bot.broadcasts.jobs import Slice, plan_broadcast, send_broadcast_slice
from bot.campaigns.signing import record_signature
from bot.recovery import requeue_unfinished
from bot.services import BROADCASTS_QUEUE, REPLIES_QUEUE
from store.models import Broadcast, Message, Supporter

CAMPAIGN = "doj-face-recognition"


@pytest.fixture
def settings(settings: dict[str, Any]) -> dict[str, Any]:
    # Fast and at any hour, unless a test says otherwise.
    return settings | {"TWILIO_MPS": "1000", "SEND_WINDOW": "00:00-24:00"}


def start(svc: Any, body: str = "Hi {first_name}! Call your rep today.", **filters: Any) -> int:
    broadcast_id = broadcasts.create(svc, CAMPAIGN, Audience.of(**filters), body)
    broadcasts.start(svc, broadcast_id)
    return broadcast_id


def statuses(svc: Any, broadcast_id: int) -> dict[str, int]:
    with svc.db() as session:
        rows = session.execute(
            select(Message.status, func.count())
            .where(Message.broadcast_id == broadcast_id)
            .group_by(Message.status)
        ).all()
    return {status: n for status, n in rows}


def status_of(svc: Any, broadcast_id: int) -> str:
    with svc.db() as session:
        return session.get_one(Broadcast, broadcast_id).status


def test_a_broadcast_reaches_every_signer_once_written_for_each(svc, twilio, run_jobs) -> None:
    add_signers(
        svc,
        [
            Signer("+14045550001", name="Ana López", city="Atlanta"),
            Signer("+14045550002", name="Dr. Ben Okafor", city="Decatur"),
        ],
    )
    broadcast_id = start(svc, "Hi {first_name}! {city} votes Tuesday.")
    run_jobs()
    assert sorted((m.to, m.body) for m in twilio.messages) == [
        ("+14045550001", "Hi Ana! Atlanta votes Tuesday."),
        ("+14045550002", "Hi Ben! Decatur votes Tuesday."),
    ]
    assert status_of(svc, broadcast_id) == "done"
    with svc.db() as session:
        stored = session.scalars(select(Message).where(Message.broadcast_id == broadcast_id))
        assert {m.body for m in stored} == {m.body for m in twilio.messages}  # what they got


def test_planning_skips_the_opted_out_and_undeliverable_with_their_reasons(
    svc, twilio, run_jobs
) -> None:
    add_signers(
        svc,
        [
            Signer("+14045550001"),
            Signer("+14045550002", opted_out=True),
            Signer("+14045550003", undeliverable="landline"),
            Signer("+14045550004", disclosure=""),
        ],
    )
    broadcast_id = start(svc)
    run_jobs()
    assert [m.to for m in twilio.messages] == ["+14045550001"]
    with svc.db() as session:
        reasons = dict(
            session.execute(
                select(Message.phone, Message.skip_reason).where(
                    Message.broadcast_id == broadcast_id, Message.status == "skipped"
                )
            ).all()
        )
    assert reasons == {
        "+14045550002": "opted_out",
        "+14045550003": "undeliverable:landline",
        "+14045550004": "no_consent",
    }


def test_someone_who_stops_after_planning_is_skipped_at_send_time(svc, twilio, run_jobs) -> None:
    add_signers(svc, atlanta(3))
    broadcast_id = start(svc)
    plan_broadcast(broadcast_id)
    # Between the plan and the send, one of them says STOP.
    with svc.db.begin() as session:
        session.execute(
            update(Supporter)
            .where(Supporter.phone == "+14045551001")
            .values(opted_out_at=datetime.now(UTC))
        )
    run_jobs()
    assert sorted(m.to for m in twilio.messages) == ["+14045551000", "+14045551002"]
    assert statuses(svc, broadcast_id) == {"queued": 2, "skipped": 1}


def test_planning_twice_plans_once(svc, run_jobs) -> None:
    add_signers(svc, atlanta(5))
    broadcast_id = broadcasts.create(svc, CAMPAIGN, Audience(), "Hello")
    with svc.db.begin() as session:
        session.execute(update(Broadcast).values(status="planning"))
    threads = [threading.Thread(target=_in_app(svc, plan_broadcast, broadcast_id)) for _ in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    plan_broadcast(broadcast_id)
    assert statuses(svc, broadcast_id) == {"pending": 5}


def _in_app(svc: Any, job: Any, broadcast_id: int) -> Any:
    from flask import current_app

    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def run() -> None:
        with app.app_context():
            job(broadcast_id)

    return run


def test_two_slices_at_once_send_each_text_once(svc, twilio) -> None:
    add_signers(svc, atlanta(300))
    broadcast_id = start(svc)
    plan_broadcast(broadcast_id)
    svc.redis.delete(*svc.redis.keys("rq:*"))  # the chain's own slice is not run here
    twilio.latency = 0.01
    # Two workers' slices of the same broadcast, at the same time (the lease is theirs alone).
    slices = [Slice(svc, broadcast_id, time.monotonic() + 20) for _ in "ab"]
    threads = [threading.Thread(target=_in_app_call(s.run)) for s in slices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = [m.to for m in twilio.messages]
    assert len(sent) == 300 and len(set(sent)) == 300
    assert statuses(svc, broadcast_id) == {"queued": 300}


def _in_app_call(function: Any) -> Any:
    from flask import current_app

    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def run() -> None:
        with app.app_context():
            function()

    return run


def test_a_slice_ends_when_its_time_is_up_and_the_next_one_carries_on(
    svc, twilio, run_jobs
) -> None:
    add_signers(svc, atlanta(40))
    broadcast_id = start(svc)
    plan_broadcast(broadcast_id)
    svc.redis.delete(*svc.redis.keys("rq:*"))
    twilio.latency = 0.05
    more = Slice(svc, broadcast_id, time.monotonic() + 0.01).run()
    assert more is True
    sent = len(twilio.messages)
    assert sent < 40
    # Nothing is left half-claimed: each row was sent, or given back for the next slice.
    expected = {"pending": 40 - sent} | ({"queued": sent} if sent else {})
    assert statuses(svc, broadcast_id) == expected
    send_broadcast_slice(broadcast_id)
    run_jobs()
    assert len({m.to for m in twilio.messages}) == len(twilio.messages) == 40
    assert status_of(svc, broadcast_id) == "done"


def test_a_reply_waiting_ends_the_slice_so_the_worker_takes_it_first(svc, twilio) -> None:
    add_signers(svc, atlanta(50))
    broadcast_id = start(svc)
    plan_broadcast(broadcast_id)
    svc.redis.delete(*svc.redis.keys("rq:*"))
    twilio.latency = 0.02
    svc.queues[REPLIES_QUEUE].enqueue(record_signature, 0)  # a supporter's job is waiting
    began = time.monotonic()
    send_broadcast_slice(broadcast_id)
    assert time.monotonic() - began < 2
    assert len(twilio.messages) < 50
    assert svc.queues[BROADCASTS_QUEUE].count == 1  # the next slice, behind the reply


def test_a_429_holds_every_sender_and_the_text_goes_later_once(svc, twilio, run_jobs) -> None:
    add_signers(svc, atlanta(5))
    twilio.fail_next(2, status=429)
    broadcast_id = start(svc)
    began = time.monotonic()
    run_jobs()
    assert time.monotonic() - began >= 1  # held for a second after the first 429
    sent = sorted(m.to for m in twilio.messages)
    assert sent == sorted({s.phone for s in atlanta(5)})
    assert twilio.requests == 7
    assert status_of(svc, broadcast_id) == "done"


def test_a_refused_number_fails_and_everyone_else_still_gets_it(svc, twilio, run_jobs) -> None:
    add_signers(svc, atlanta(3))
    twilio.reject_to("+14045551001", 30006)  # a landline
    broadcast_id = start(svc)
    run_jobs()
    assert statuses(svc, broadcast_id) == {"queued": 2, "failed": 1}
    assert status_of(svc, broadcast_id) == "done"


def test_quiet_hours_hold_texts_until_each_recipients_morning(svc, twilio, run_jobs) -> None:
    svc.settings = replace(svc.settings, send_window="09:00-20:00")
    add_signers(
        svc,
        [
            Signer("+14045550001", time_zone="America/New_York"),
            Signer(
                "+12135550002",
                zip_code="90012",
                city="Los Angeles",
                state="CA",
                time_zone="America/Los_Angeles",
            ),
        ],
    )
    # 10:00 in Atlanta is 07:00 in Los Angeles.
    svc.clock = lambda: datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
    broadcast_id = start(svc)
    run_jobs()
    assert [m.to for m in twilio.messages] == ["+14045550001"]
    assert statuses(svc, broadcast_id) == {"queued": 1, "held": 1}
    assert status_of(svc, broadcast_id) == "sending"  # not done while a text waits
    svc.clock = lambda: datetime(2026, 3, 3, 17, 0, tzinfo=UTC)  # 09:00 in Los Angeles
    requeue_unfinished(svc)
    run_jobs()
    assert sorted(m.to for m in twilio.messages) == ["+12135550002", "+14045550001"]
    assert status_of(svc, broadcast_id) == "done"


def test_pause_stops_sending_and_resume_carries_on_from_there(svc, twilio, run_jobs) -> None:
    add_signers(svc, atlanta(20))
    broadcast_id = start(svc)
    plan_broadcast(broadcast_id)
    broadcasts.pause(svc, broadcast_id)
    run_jobs()
    assert twilio.messages == []
    assert statuses(svc, broadcast_id) == {"pending": 20}
    broadcasts.resume(svc, broadcast_id)
    run_jobs()
    assert len({m.to for m in twilio.messages}) == len(twilio.messages) == 20
    assert status_of(svc, broadcast_id) == "done"


def test_nothing_more_leaves_once_a_pause_is_acknowledged(
    svc, twilio, run_jobs, monkeypatch
) -> None:
    add_signers(svc, atlanta(20))
    svc.settings = replace(svc.settings, broadcast_concurrency=1)
    broadcast_id = start(svc)
    plan_broadcast(broadcast_id)
    send = svc.sender.send

    def pause_during_the_third(outgoing: Any) -> Any:
        if len(twilio.messages) == 2:
            broadcasts.pause(svc, broadcast_id)  # the organizer's click, while a text is out
        return send(outgoing)

    monkeypatch.setattr(svc.sender, "send", pause_during_the_third)
    run_jobs()
    assert len(twilio.messages) == 3  # the one on its way when Pause came, and no more
    assert statuses(svc, broadcast_id) == {"queued": 3, "pending": 17}
    monkeypatch.setattr(svc.sender, "send", send)
    broadcasts.resume(svc, broadcast_id)
    run_jobs()
    assert len({m.to for m in twilio.messages}) == len(twilio.messages) == 20


def test_cancel_sends_nothing_more_and_marks_the_rest_canceled(svc, twilio, run_jobs) -> None:
    add_signers(svc, atlanta(20))
    broadcast_id = start(svc)
    plan_broadcast(broadcast_id)
    broadcasts.cancel(svc, broadcast_id)
    run_jobs()
    assert twilio.messages == []
    assert statuses(svc, broadcast_id) == {"canceled": 20}
    with svc.db() as session:
        assert session.get_one(Broadcast, broadcast_id).finished_at is not None
    with pytest.raises(broadcasts.BroadcastError):
        broadcasts.resume(svc, broadcast_id)


def test_a_worker_killed_mid_slice_leaves_nobody_skipped_or_texted_twice(
    svc, twilio, run_jobs
) -> None:
    add_signers(svc, atlanta(30))
    broadcast_id = start(svc)
    plan_broadcast(broadcast_id)
    svc.redis.flushdb()  # Redis lost the queue too
    # The dead worker had sent the first ten and claimed five more, never sent.
    with svc.db.begin() as session:
        ids = session.scalars(
            select(Message.id).where(Message.broadcast_id == broadcast_id).order_by(Message.id)
        ).all()
        session.execute(
            update(Message).where(Message.id.in_(ids[:10])).values(status="sent", sid=None)
        )
        session.execute(
            update(Message)
            .where(Message.id.in_(ids[10:15]))
            .values(status="sending", updated_at=datetime.now(UTC) - timedelta(hours=1))
        )
    requeue_unfinished(svc)
    run_jobs()
    assert len(twilio.messages) == 20
    assert len({m.to for m in twilio.messages}) == 20
    assert statuses(svc, broadcast_id) == {"sent": 10, "queued": 20}
    assert status_of(svc, broadcast_id) == "done"


def test_the_sweep_queues_slices_not_a_job_per_text(svc, run_jobs) -> None:
    add_signers(svc, atlanta(50))
    broadcast_id = start(svc)
    plan_broadcast(broadcast_id)
    svc.redis.flushdb()
    found = requeue_unfinished(svc)
    assert found.messages == 0
    assert svc.queues[REPLIES_QUEUE].count == 0
    assert svc.queues[BROADCASTS_QUEUE].job_ids == [f"send_broadcast_slice-{broadcast_id}"]


def test_rqs_scheduler_never_starts_a_broadcast_before_its_time(svc) -> None:
    # RQ's scheduler counts whole seconds: half past must not become the second before.
    at = datetime(2030, 5, 1, 22, 0, 0, 500_000, tzinfo=UTC)
    broadcast_id = broadcasts.create(svc, CAMPAIGN, Audience(), "Tonight!", send_at=at)
    broadcasts.start(svc, broadcast_id)
    registry = svc.queues[BROADCASTS_QUEUE].scheduled_job_registry
    (job_id,) = registry.get_job_ids()
    assert registry.get_scheduled_time(job_id) == datetime(2030, 5, 1, 22, 0, 1, tzinfo=UTC)


def test_a_scheduled_broadcast_waits_for_its_time(svc, twilio, run_jobs) -> None:
    add_signers(svc, atlanta(2))
    at = datetime(2030, 5, 1, 22, 0, tzinfo=UTC)
    broadcast_id = broadcasts.create(svc, CAMPAIGN, Audience(), "Tonight!", send_at=at)
    assert broadcasts.start(svc, broadcast_id) == "scheduled"
    requeue_unfinished(svc)
    run_jobs()
    assert twilio.messages == []
    svc.clock = lambda: at + timedelta(seconds=1)
    requeue_unfinished(svc)
    run_jobs()
    assert len(twilio.messages) == 2
    assert status_of(svc, broadcast_id) == "done"
