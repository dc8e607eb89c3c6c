"""A phone's turn on Redis: budget, lock and conversation in one script call each way."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import fakeredis
import pytest
from helpers import REDIS_URL
from redis import Redis

from bot.inbound import phone_turns
from bot.inbound.phone_turns import TEXTS_PER_WINDOW, WINDOW_SECONDS, OverBudget, PhoneTurns
from conversations import Stage, State

JANE, JOHN = "+14045550123", "+14045550124"
NOON = 1_800_000_000.0  # a window boundary: 1_800_000_000 is a multiple of 30
ASKING_ZIP = State(Stage.ASKING_ZIP, "faces", name="Jane Doe")


@pytest.fixture(params=["redis", "fakeredis"])
def redis(request: pytest.FixtureRequest) -> Iterator[Redis]:
    """The real Redis of the tests, and the in-process one the embedded default runs on."""
    connection = Redis.from_url(REDIS_URL) if request.param == "redis" else fakeredis.FakeRedis()
    connection.flushdb()
    yield connection
    connection.flushdb()
    connection.close()


@pytest.fixture
def turns(redis: Redis) -> PhoneTurns:
    return PhoneTurns(redis, conversation_ttl=3600)


def take_and_end(turns: PhoneTurns, phone: str, at: float, exempt: bool = False) -> None:
    turns.end(turns.begin(phone, counted_at=at, exempt=exempt))


def test_it_answers_a_window_s_budget_and_refuses_the_next_text(turns: PhoneTurns) -> None:
    for _ in range(TEXTS_PER_WINDOW):
        take_and_end(turns, JANE, NOON)
    with pytest.raises(OverBudget):
        turns.begin(JANE, counted_at=NOON + 1)
    take_and_end(turns, JOHN, NOON + 1)  # a neighbour has a budget of his own
    take_and_end(turns, JANE, NOON + WINDOW_SECONDS)  # the next window starts afresh


def test_a_stop_request_goes_through_over_budget(turns: PhoneTurns) -> None:
    for _ in range(TEXTS_PER_WINDOW):
        take_and_end(turns, JANE, NOON)
    take_and_end(turns, JANE, NOON, exempt=True)
    with pytest.raises(OverBudget):
        turns.begin(JANE, counted_at=NOON)


def test_a_turn_not_counted_spends_no_budget(turns: PhoneTurns) -> None:
    for _ in range(TEXTS_PER_WINDOW * 2):
        turns.end(turns.begin(JANE))
    take_and_end(turns, JANE, NOON)


def test_the_conversation_a_turn_moved_is_there_for_the_next(turns: PhoneTurns) -> None:
    first = turns.begin(JANE, counted_at=NOON)
    assert first.state is None
    first.advance(ASKING_ZIP)
    assert turns.end(first)
    second = turns.begin(JANE, counted_at=NOON)
    assert second.state == ASKING_ZIP
    second.advance(None)  # the conversation is over
    turns.end(second)
    assert turns.begin(JANE, counted_at=NOON).state is None


def test_a_turn_that_moved_nothing_leaves_the_conversation_alone(
    turns: PhoneTurns, redis: Redis
) -> None:
    first = turns.begin(JANE)
    first.advance(ASKING_ZIP)
    turns.end(first)
    redis.expire(f"conversation:{{{JANE}}}", 100)
    turns.end(turns.begin(JANE))  # a retried delivery: nothing committed
    assert 0 < redis.ttl(f"conversation:{{{JANE}}}") <= 100


def test_a_conversation_from_an_older_release_starts_afresh(
    turns: PhoneTurns, redis: Redis
) -> None:
    redis.set(f"conversation:{{{JANE}}}", '{"stage": "no such stage"}')
    assert turns.begin(JANE).state is None


def test_a_second_text_waits_for_the_first_turn_to_end(turns: PhoneTurns) -> None:
    first = turns.begin(JANE, counted_at=NOON)
    first.advance(ASKING_ZIP)
    threading.Timer(0.3, turns.end, [first]).start()
    started = time.monotonic()
    second = turns.begin(JANE, counted_at=NOON)
    assert time.monotonic() - started >= 0.25
    assert second.state == ASKING_ZIP  # read after the first saved it


def test_waiting_for_the_lock_counts_the_text_once(turns: PhoneTurns) -> None:
    first = turns.begin(JANE, counted_at=NOON)
    threading.Timer(0.5, turns.end, [first]).start()
    turns.end(turns.begin(JANE, counted_at=NOON))  # retries a few times meanwhile
    for _ in range(TEXTS_PER_WINDOW - 2):
        take_and_end(turns, JANE, NOON)
    with pytest.raises(OverBudget):
        turns.begin(JANE, counted_at=NOON)


def test_a_lock_held_too_long_times_out(turns: PhoneTurns, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(phone_turns, "WAIT_SECONDS", 0.3)
    turns.begin(JANE)
    with pytest.raises(TimeoutError):
        turns.begin(JANE)
    turns.end(turns.begin(JOHN))  # only Jane's phone is held


def test_only_the_turn_holding_the_lock_releases_it(
    turns: PhoneTurns, redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(phone_turns, "WAIT_SECONDS", 0.3)
    stale = turns.begin(JANE)
    redis.delete(f"lock:phone:{{{JANE}}}")  # as if it expired while the first text stalled
    current = turns.begin(JANE)
    assert not turns.end(stale)
    with pytest.raises(TimeoutError):
        turns.begin(JANE)  # the current turn still holds it
    assert turns.end(current)
    turns.end(turns.begin(JANE))


def test_a_lock_expires_if_its_holder_dies(turns: PhoneTurns, redis: Redis) -> None:
    turns.begin(JANE)
    assert 0 < redis.pttl(f"lock:phone:{{{JANE}}}") <= phone_turns.LOCK_MS


def test_a_deferred_text_marks_the_phone_for_its_next_turn_alone(
    turns: PhoneTurns, redis: Redis
) -> None:
    turns.end(turns.begin(JANE))
    turns.defer(JANE)
    assert redis.exists(f"deferred:{{{JANE}}}")  # the phone's hash tag: one slot with its others
    marked = turns.begin(JANE)
    assert marked.deferred
    turns.end(marked)
    assert not turns.begin(JOHN).deferred
    turns.caught_up(JANE)
    assert not turns.begin(JANE).deferred
