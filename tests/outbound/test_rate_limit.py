"""The sender's pace is one pace: threads in separate processes share it through Redis."""

from __future__ import annotations

import bisect
import multiprocessing
import threading
import time
from collections.abc import Iterator

import pytest
from helpers import REDIS_URL
from redis import Redis

from bot.outbound.pacing import BURST_SECONDS, RateLimit

SENDER = "+14045550100"


@pytest.fixture
def redis() -> Iterator[Redis]:
    connection = Redis.from_url(REDIS_URL)
    connection.flushdb()
    yield connection
    connection.flushdb()
    connection.close()


def send_for(redis_url: str, rate: float, seconds: float, threads: int, out: object) -> None:
    """In a worker process: ``threads`` threads take slots until ``seconds`` are up."""
    limit = RateLimit(Redis.from_url(redis_url), SENDER, rate)
    stamps: list[float] = []
    lock = threading.Lock()
    end = time.monotonic() + seconds
    offset = time.time() - time.monotonic()  # wall-clock stamps, comparable across processes

    def take() -> None:
        while limit.acquire(1, end):
            with lock:
                stamps.append(time.monotonic() + offset)

    pool = [threading.Thread(target=take) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    out.put(stamps)  # type: ignore[attr-defined]


def busiest_second(stamps: list[float]) -> int:
    stamps = sorted(stamps)
    return max(bisect.bisect_left(stamps, s + 1.0) - i for i, s in enumerate(stamps))


def test_two_worker_processes_together_keep_to_one_pace(redis: Redis) -> None:
    rate, seconds = 100, 4.0
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    workers = [
        context.Process(target=send_for, args=(REDIS_URL, rate, seconds, 8, out)) for _ in "ab"
    ]
    for worker in workers:
        worker.start()
    results = [out.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=10)
    stamps = [s for result in results for s in result]
    assert all(len(result) > rate for result in results)  # both sent: they shared, not took turns
    # The processes start a moment apart; what counts is the pace from the first send on.
    span = max(stamps) - min(stamps)
    assert abs(len(stamps) - rate * span) <= 0.02 * rate * span + 1
    # A thread stamps its send a moment after its slot, so a window may catch a late one.
    assert busiest_second(stamps) <= rate + rate * BURST_SECONDS


def test_a_429_holds_the_pace_for_everyone(redis: Redis) -> None:
    first, second = RateLimit(redis, SENDER, 1000), RateLimit(redis, SENDER, 1000)
    first.hold(0.5)
    began = time.monotonic()
    assert second.acquire(1, time.monotonic() + 5)
    assert time.monotonic() - began >= 0.45


def test_no_slot_is_taken_past_the_deadline(redis: Redis) -> None:
    limit = RateLimit(redis, SENDER, 1)
    assert limit.acquire(1, time.monotonic() + 1)  # the first goes at once
    began = time.monotonic()
    assert not limit.acquire(1, time.monotonic() + 0.2)
    assert time.monotonic() - began < 0.3
    # The refused caller used none of the pace: the next slot is one second after the first.
    assert limit.acquire(1, time.monotonic() + 5)
    assert time.monotonic() - began < 1.2


def test_a_long_message_costs_each_of_its_segments(redis: Redis) -> None:
    limit = RateLimit(redis, SENDER, 10)
    assert limit.acquire(5, time.monotonic() + 1)
    began = time.monotonic()
    assert limit.acquire(1, time.monotonic() + 5)
    # Five segments at ten a second: the next may go half a second later.
    assert 0.45 <= time.monotonic() - began <= 0.6


def test_a_rate_must_be_positive(redis: Redis) -> None:
    with pytest.raises(ValueError):
        RateLimit(redis, SENDER, 0)
