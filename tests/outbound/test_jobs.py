"""The jobs: each takes an ID, is safe to run twice, and survives a lost worker or queue."""

from __future__ import annotations

import pytest
from helpers import Phone
from sqlalchemy import func, select, update

from bot.campaigns.signing import record_signature
from bot.outbound.jobs import send_message
from bot.recovery import Requeued, requeue_unfinished
from bot.services import REPLIES_QUEUE
from store.models import ConsentEvent, Message, Signature


def say_yes(phone: Phone) -> None:
    for body in ("FACES", "Jane Doe", "30303", "YES"):
        phone.text(body)


def consent_id(svc) -> int:
    with svc.db() as session:
        return session.scalars(select(ConsentEvent.id)).one()


def test_recording_a_signature_twice_signs_once(phone, svc, twilio, run_jobs) -> None:
    say_yes(phone)
    record_signature(consent_id(svc))
    record_signature(consent_id(svc))
    run_jobs()
    with svc.db() as session:
        assert session.scalar(select(func.count(Signature.id))) == 1
        assert (
            session.scalar(select(func.count(Message.id)).where(Message.kind == "confirmation"))
            == 1
        )
    assert len(twilio.messages) == 1


def test_sending_a_message_twice_sends_it_once(phone, svc, twilio) -> None:
    say_yes(phone)
    record_signature(consent_id(svc))
    with svc.db() as session:
        confirmation = session.scalars(
            select(Message.id).where(Message.kind == "confirmation")
        ).one()
    send_message(confirmation)
    send_message(confirmation)
    assert len(twilio.messages) == 1


def sign_then_die(svc, monkeypatch) -> None:
    """Run the signature job until its commit, then die as a killed worker would."""

    def killed(message_id: int) -> None:
        raise SystemExit("worker killed")

    with monkeypatch.context() as patched:
        patched.setattr("bot.campaigns.signing.send_message", killed)
        with pytest.raises(SystemExit):
            record_signature(consent_id(svc))


def confirmation_status(svc) -> str:
    with svc.db() as session:
        return session.scalars(select(Message.status).where(Message.kind == "confirmation")).one()


def test_a_worker_killed_between_recording_and_confirming_still_confirms_once(
    phone, svc, twilio, run_jobs, monkeypatch
) -> None:
    say_yes(phone)
    # The signature job committed; then the worker died and Redis lost its queue.
    sign_then_die(svc, monkeypatch)
    svc.redis.flushdb()
    run_jobs()
    assert twilio.messages == []
    found = requeue_unfinished(svc)
    assert (found.signatures, found.messages) == (0, 1)
    run_jobs()
    assert len(twilio.messages) == 1
    requeue_unfinished(svc)
    run_jobs()
    assert len(twilio.messages) == 1


def test_a_signature_job_run_again_after_dying_sends_the_pending_confirmation_once(
    phone, svc, twilio, monkeypatch
) -> None:
    say_yes(phone)
    sign_then_die(svc, monkeypatch)
    assert confirmation_status(svc) == "pending" and twilio.messages == []
    record_signature(consent_id(svc))  # as RQ's retry, or the job queued again, runs it
    record_signature(consent_id(svc))
    assert len(twilio.messages) == 1
    with svc.db() as session:
        assert session.scalar(select(func.count(Signature.id))) == 1


def test_a_yes_whose_job_was_lost_is_signed_by_the_recovery_sweep(
    phone, svc, twilio, run_jobs
) -> None:
    say_yes(phone)
    svc.redis.flushdb()  # Redis restarted and lost the queued signature job.
    found = requeue_unfinished(svc)
    assert found.signatures == 1
    run_jobs()
    with svc.db() as session:
        assert session.scalar(select(func.count(Signature.id))) == 1
    assert len(twilio.messages) == 1


def test_the_sweep_leaves_recent_work_to_its_own_job(phone, svc, settings) -> None:
    say_yes(phone)
    from dataclasses import replace

    patient = replace(svc, settings=replace(svc.settings, recovery_grace=3600))
    assert requeue_unfinished(patient).signatures == 0


def test_a_message_stuck_sending_is_sent_again_after_a_while(
    phone, svc, twilio, run_jobs, monkeypatch
) -> None:
    say_yes(phone)
    sign_then_die(svc, monkeypatch)
    svc.redis.flushdb()
    from datetime import timedelta

    from store.models import utcnow

    with svc.db.begin() as session:
        session.execute(
            update(Message)
            .where(Message.kind == "confirmation")
            .values(status="sending", updated_at=utcnow() - timedelta(minutes=10))
        )
    assert requeue_unfinished(svc).messages == 1
    run_jobs()
    assert len(twilio.messages) == 1


def test_a_busy_twilio_is_retried_and_sends_once(phone, svc, twilio, run_jobs) -> None:
    twilio.fail_next(1, status=429)
    say_yes(phone)
    run_jobs()  # The signature is stored, the send fails; the message waits as pending.
    assert confirmation_status(svc) == "pending" and twilio.messages == []
    retries = svc.queues[REPLIES_QUEUE].scheduled_job_registry.get_job_ids()
    assert retries == [f"record_signature-{consent_id(svc)}"]
    record_signature(consent_id(svc))  # what RQ's retry runs, a few seconds later
    record_signature(consent_id(svc))
    assert len(twilio.messages) == 1
    with svc.db() as session:
        assert session.scalar(select(func.count(Signature.id))) == 1


def test_a_busy_twilio_whose_retry_was_lost_is_sent_by_the_sweep(
    phone, svc, twilio, run_jobs
) -> None:
    twilio.fail_next(1, status=429)
    say_yes(phone)
    run_jobs()
    svc.redis.flushdb()  # Redis lost the scheduled retry.
    assert requeue_unfinished(svc) == Requeued(signatures=0, messages=1)
    run_jobs()
    assert len(twilio.messages) == 1
    assert confirmation_status(svc) != "pending"


def test_a_refused_number_is_marked_failed_with_twilios_code(phone, svc, twilio, run_jobs) -> None:
    twilio.reject_to(phone.number, 21610)
    say_yes(phone)
    run_jobs()
    with svc.db() as session:
        confirmation = session.scalars(select(Message).where(Message.kind == "confirmation")).one()
    assert (confirmation.status, confirmation.error_code) == ("failed", 21610)
