"""A worker started after one was killed runs RQ's scheduler at once, not ten minutes later."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest
from fake_twilio import FakeTwilio
from redis import Redis
from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler
from test_processes import Stack, wait_for

from bot.services import REPLIES_QUEUE, Services
from worker import scheduler_locks

LOCK = RQScheduler.get_locking_key(REPLIES_QUEUE)


@pytest.fixture
def stack(app, database_url: str, twilio: FakeTwilio, live_campaigns: str) -> Iterator[Stack]:
    running = Stack(database_url, twilio, live_campaigns)
    try:
        yield running
    finally:
        running.stop()


def scheduler_pid(redis: Redis) -> int | None:
    """The process of the scheduler holding the replies queue's lock, if one does."""
    owner = redis.get(LOCK)
    pid = owner and redis.hget(SCHEDULER_KEY_TEMPLATE % owner.decode(), "pid")
    return int(pid) if pid and int(pid) else None


def test_a_restarted_worker_takes_over_the_killed_ones_scheduler(stack: Stack, svc: Services):
    first = stack.start_worker()
    wait_for(lambda: scheduler_pid(svc.redis) is not None, 30, "the first scheduler")
    killed = scheduler_pid(svc.redis)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    stack.start_worker()
    # The killed scheduler's lock would have lasted another minute, and RQ looks again only
    # every ten: the new worker must not wait for either.
    wait_for(lambda: scheduler_pid(svc.redis) not in (None, killed), 20, "a new scheduler")


def test_a_live_schedulers_lock_is_left_alone(svc: Services) -> None:
    svc.redis.set(LOCK, "alive", ex=61)
    svc.redis.hset(
        SCHEDULER_KEY_TEMPLATE % "alive",
        mapping={"last_heartbeat": "2999-01-01T00:00:00.000000Z", "hostname": "elsewhere"},
    )
    svc.redis.set(RQScheduler.get_locking_key("broadcasts"), "gone", ex=61)
    freed = scheduler_locks.release_stale(svc.redis, [REPLIES_QUEUE, "broadcasts"])
    assert freed == ["broadcasts"]
    assert svc.redis.get(LOCK) == b"alive"
