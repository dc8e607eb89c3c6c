"""A flood of a public page leaves the webhook's latency within twice that of a quiet moment.

The Procfile's web process (gunicorn, gthread) serves the bot; threads of a process of this
test's ask for an event's sign PDF as fast as they are answered, while texts go to the webhook
one after another. (A process of its own: flooding threads beside the measuring one
would hold the GIL while it waits for its answer, and time the test, not the bot.)
The latencies are compared with those of texts sent just before,
in the same run: a ratio, not a time, so a slower machine changes neither side.
"""

from __future__ import annotations

import multiprocessing
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from multiprocessing.synchronize import Event

import pytest
from fake_twilio import FakeTwilio
from test_processes import Stack, wait_for

FLOOD_THREADS = 16
# 112 requests a second, five times what 2 cores drew of the sign PDF before it was cached:
# then, a queue that grew for as long as the flood lasted.
PER_THREAD_PER_SECOND = 7
TEXTS = 30


@pytest.fixture
def stack(
    app, database_url: str, twilio: FakeTwilio, live_campaigns: str, atlanta_rally
) -> Iterator[Stack]:
    running = Stack(database_url, twilio, live_campaigns)
    try:
        bind = f"127.0.0.1:{running.port}"
        running.start(
            sys.executable, "-m", "gunicorn", "--bind", bind, "--workers", "2",
            "--worker-class", "gthread", "--threads", "4", "bot:create_app()",
        )  # fmt: skip
        wait_for(running.healthy, 30, "gunicorn to answer /healthz")
        yield running
    finally:
        running.stop()


def fetch(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def webhook_latencies(stack: Stack, first_phone: int) -> list[float]:
    """Seconds the webhook took for each of TEXTS first texts, from phones new to the bot."""
    took = []
    for n in range(TEXTS):
        began = time.perf_counter()
        assert stack.text(f"+1404555{first_phone + n:04d}", "FACES") == 200
        took.append(time.perf_counter() - began)
    return took


def flood(url: str, stop: Event, answers: multiprocessing.Queue) -> None:
    """In a process of its own: ask for ``url`` from many threads until told to stop."""
    counted: Counter[int] = Counter()

    def ask() -> None:
        # Paced, not as fast as answered: the flood is as heavy before the fix as after it.
        due = time.monotonic()
        while not stop.is_set():
            counted[fetch(url)] += 1
            due += 1 / PER_THREAD_PER_SECOND
            time.sleep(max(0.0, due - time.monotonic()))

    threads = [threading.Thread(target=ask) for _ in range(FLOOD_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answers.put(counted)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def test_a_flood_of_the_public_pdf_leaves_the_webhook_within_twice_its_quiet_latency(
    stack: Stack,
) -> None:
    pdf = stack.base_url + "/events/atlanta-rally/sign.pdf"
    assert fetch(pdf) == 200
    webhook_latencies(stack, 1000)  # warm both processes: campaigns, connections
    quiet = webhook_latencies(stack, 2000)

    context = multiprocessing.get_context("fork")
    stop, answers = context.Event(), context.Queue()
    flooding = context.Process(target=flood, args=(pdf, stop, answers))
    flooding.start()
    try:
        time.sleep(1)  # the flood under way
        flooded = webhook_latencies(stack, 3000)
    finally:
        stop.set()
        counted: Counter[int] = answers.get(timeout=60)
        flooding.join(timeout=60)

    report = (
        f"quiet median {statistics.median(quiet) * 1000:.0f} ms p95 {p95(quiet) * 1000:.0f} ms; "
        f"flooded median {statistics.median(flooded) * 1000:.0f} ms "
        f"p95 {p95(flooded) * 1000:.0f} ms; flood answers {dict(counted)}"
    )
    assert sum(counted.values()) > 100, report  # it was a flood
    assert statistics.median(flooded) <= 2 * statistics.median(quiet), report
