"""The lean worker: what RQ keeps in Redis stays right, with fewer writes to keep it so."""

from __future__ import annotations

import time

import pytest

from worker.lean import FRESH_SECONDS, LeanWorker


@pytest.fixture
def worker(svc):
    started = LeanWorker(list(svc.queues.values()), connection=svc.redis)
    started.register_birth()
    yield started
    started.register_death()


def test_it_does_not_repeat_a_heartbeat_it_just_sent(worker, svc) -> None:
    worker.heartbeat()
    svc.redis.expire(worker.key, 100)  # so a second heartbeat would show
    worker.heartbeat()
    assert svc.redis.ttl(worker.key) <= 100


def test_it_sends_a_full_heartbeat_after_a_jobs_shorter_one(worker, svc) -> None:
    worker.heartbeat()
    worker.heartbeat(90)  # as RQ does when a job starts
    assert svc.redis.ttl(worker.key) <= 90
    worker.heartbeat()
    assert svc.redis.ttl(worker.key) > worker.dequeue_timeout


def test_it_sends_a_heartbeat_again_once_the_last_is_not_fresh(worker, svc) -> None:
    worker.heartbeat()
    svc.redis.expire(worker.key, 100)
    time.sleep(FRESH_SECONDS)
    worker.heartbeat()
    assert svc.redis.ttl(worker.key) > worker.dequeue_timeout


def test_it_stores_a_state_only_when_it_changes(worker, svc) -> None:
    worker.set_state("idle")
    svc.redis.hset(worker.key, "state", "changed elsewhere")
    worker.set_state("idle")
    assert svc.redis.hget(worker.key, "state") == b"changed elsewhere"
    worker.set_state("busy")
    assert svc.redis.hget(worker.key, "state") == b"busy"
