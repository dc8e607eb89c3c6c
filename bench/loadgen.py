"""bench/surge.py's load generator: simulated supporters texting a webhook, signed like Twilio.

Runs in its own process so that it, the fake Twilio and the bot do not share one interpreter:
``python bench/loadgen.py < spec.json > result.json``, progress on stderr. It speaks HTTP/1.1
itself over ``asyncio.open_connection`` (write the request, read the status line, the headers and
a Content-Length body), keeping each connection alive when the server allows it; gunicorn's sync
workers close after every response, so then it reconnects. Every request is built and signed
before the clock starts, so HMAC and URL-encoding cost stay out of the measured loop.

Two ways to drive:

- ``closed``: C connections, each taking the next supporter and sending their four texts one after
  the other, each as soon as the previous reply is in. Measures throughput.
- ``paced``: an open-loop schedule at ``rate`` texts/s. Text slots are fixed in advance, a
  supporter's texts a quarter second apart; a text goes at its slot whatever the replies before
  it did (waiting only for its own supporter's previous reply, and for a free connection), and its
  latency counts from the slot, so a server that falls behind shows it.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from twilio_signing import signed_headers  # noqa: E402

# Area codes with their city, so From matches what Twilio would say about the sender.
AREAS = [
    ("404", "ATLANTA", "GA"),
    ("212", "NEW YORK", "NY"),
    ("312", "CHICAGO", "IL"),
    ("415", "SAN FRANCISCO", "CA"),
    ("617", "BOSTON", "MA"),
    ("303", "DENVER", "CO"),
    ("206", "SEATTLE", "WA"),
    ("713", "HOUSTON", "TX"),
    ("305", "MIAMI", "FL"),
    ("702", "LAS VEGAS", "NV"),
]
ZIPS = ["30303", "10001", "60601", "94103", "02108", "80202", "98101", "77002", "33130", "89101"]
FIRST = ["Jane", "Marcus", "Aisha", "José", "Mei", "Darnell", "Priya", "Keisha", "Tom", "Lucía"]
LAST = ["Doe", "Washington", "O'Brien", "Ñúñez", "Nguyen", "Okafor", "Smith", "Lee", "Patel"]
STEPS = ("FACES", "name", "ZIP", "YES")
PACED_GAP = 0.25  # seconds between one supporter's texts in a paced run
PROGRESS_EVERY = 5.0


def phone(index: int) -> str:
    """Return supporter ``index``'s phone, in E.164; distinct for every index."""
    area = AREAS[index % len(AREAS)][0]
    return f"+1{area}{2_000_000 + index // len(AREAS):07d}"


def texts(index: int) -> list[str]:
    """Return the four texts supporter ``index`` sends: keyword, name, ZIP, YES."""
    name = f"{FIRST[index % len(FIRST)]} {LAST[index // len(FIRST) % len(LAST)]}"
    return ["FACES", name, ZIPS[index % len(ZIPS)], "YES"]


def build_requests(spec: dict[str, Any], first: int, count: int, tag: int) -> list[list[bytes]]:
    """Return each supporter's four HTTP requests, signed as Twilio signs them."""
    url = spec["public_base_url"].rstrip("/") + "/sms"
    host = f"{spec['host']}:{spec['port']}"
    to = spec["bot_number"]
    supporters = []
    for index in range(first, first + count):
        sender = phone(index)
        _, city, state = AREAS[index % len(AREAS)]
        requests = []
        for step, body in enumerate(texts(index)):
            sid = f"SM{tag:04x}{index * 4 + step:028x}"
            # The fields Twilio sends with an inbound SMS, so parsing and signing cost what they
            # would in production.
            params = {
                "ToCountry": "US",
                "ToState": "GA",
                "SmsMessageSid": sid,
                "NumMedia": "0",
                "ToCity": "ATLANTA",
                "FromZip": "",
                "SmsSid": sid,
                "FromState": state,
                "SmsStatus": "received",
                "FromCity": city,
                "Body": body,
                "FromCountry": "US",
                "To": to,
                "MessagingServiceSid": "",
                "ToZip": "30303",
                "NumSegments": "1",
                "MessageSid": sid,
                "AccountSid": spec["account_sid"],
                "From": sender,
                "ApiVersion": "2010-04-01",
            }
            headers = signed_headers(spec["auth_token"], url, params)
            payload = urlencode(params).encode()
            head = (
                f"POST /sms HTTP/1.1\r\nHost: {host}\r\n"
                f"X-Twilio-Signature: {headers['X-Twilio-Signature']}\r\n"
                f"Content-Type: {headers['Content-Type']}\r\n"
                f"Content-Length: {len(payload)}\r\n"
                "User-Agent: TwilioProxy/1.1\r\nAccept: */*\r\n\r\n"
            )
            requests.append(head.encode() + payload)
        supporters.append(requests)
    return supporters


class Connection:
    """One HTTP/1.1 connection, reopened whenever the server closes it."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, data: bytes) -> tuple[int, bytes]:
        """Send one request and return the status and body of its response."""
        reused = self.writer is not None
        try:
            return await self._exchange(data)
        except (ConnectionError, asyncio.IncompleteReadError):
            self.close()
            if not reused:
                raise
        # An idle keep-alive connection the server had closed: the request never arrived.
        return await self._exchange(data)

    async def _exchange(self, data: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(None, 2)[1])
        length: int | None = None
        close = lines[0].startswith(b"HTTP/1.0")
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection":
                close = value.strip().lower() == b"close"
        if length is None:
            body = await self.reader.read()  # no length: the body runs to the close
            close = True
        else:
            body = await self.reader.readexactly(length)
        if close:
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Tally:
    """What a drive saw: latencies in seconds, answers that were not 200, progress."""

    label: str
    total: int
    latencies: list[float] = field(default_factory=list)
    by_step: list[list[float]] = field(default_factory=lambda: [[] for _ in STEPS])
    errors: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    started: float = 0.0  # time.monotonic(), comparable between processes on Linux
    finished: float = 0.0

    def record(self, step: int, latency: float, status: int | str, body: bytes = b"") -> None:
        self.latencies.append(latency)
        self.by_step[step].append(latency)
        if status != 200:
            self.errors[str(status)] += 1
            if len(self.samples) < 5:
                self.samples.append(f"{status}: {body[:200]!r}")

    async def report_progress(self) -> None:
        previous, then = 0, time.monotonic()
        while True:
            await asyncio.sleep(PROGRESS_EVERY)
            done, now = len(self.latencies), time.monotonic()
            rate = (done - previous) / (now - then)
            print(
                f"  {self.label}: {done:,}/{self.total:,} texts, {rate:,.0f} texts/s lately,"
                f" {sum(self.errors.values())} errors",
                file=sys.stderr,
                flush=True,
            )
            previous, then = done, now


async def send(connection: Connection, data: bytes, step: int, since: float, tally: Tally) -> bytes:
    """Send one text and record its latency, counted from ``since`` (a perf_counter time)."""
    try:
        status, body = await connection.request(data)
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as error:
        connection.close()
        tally.record(step, time.perf_counter() - since, type(error).__name__)
        return b""
    tally.record(step, time.perf_counter() - since, status, body)
    return body


async def closed_loop(spec: dict[str, Any], supporters: list[list[bytes]], tally: Tally) -> None:
    """Run C connections flat out, each carrying whole conversations one text at a time."""
    queue = iter(supporters)

    async def lane() -> None:
        connection = Connection(spec["host"], spec["port"])
        for requests in queue:
            for step, data in enumerate(requests):
                await send(connection, data, step, time.perf_counter(), tally)
        connection.close()

    tally.started = time.monotonic()
    await asyncio.gather(*(lane() for _ in range(spec["concurrency"])))
    tally.finished = time.monotonic()


async def paced(spec: dict[str, Any], supporters: list[list[bytes]], tally: Tally) -> None:
    """Send texts at fixed slots, ``rate`` a second, whatever the replies do."""
    rate = float(spec["rate"])
    group = max(1, round(rate * PACED_GAP))  # supporters interleaved, so one's texts are spaced
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(spec["concurrency"]):
        pool.put_nowait(Connection(spec["host"], spec["port"]))
    loop = asyncio.get_running_loop()
    start_loop = loop.time() + 0.2
    start_perf = time.perf_counter() + 0.2

    async def supporter(number: int, requests: list[bytes]) -> None:
        base = (number // group) * group * len(requests) + number % group
        for step, data in enumerate(requests):
            slot = (base + step * group) / rate
            delay = start_loop + slot - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            connection = await pool.get()
            try:
                await send(connection, data, step, start_perf + slot, tally)
            finally:
                pool.put_nowait(connection)

    tally.started = time.monotonic() + 0.2
    await asyncio.gather(*(supporter(n, r) for n, r in enumerate(supporters)))
    tally.finished = time.monotonic()
    while not pool.empty():
        pool.get_nowait().close()


def percentile(ordered: list[float], share: float) -> float:
    """Return the nearest-rank percentile of an ascending list."""
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


async def drive(spec: dict[str, Any]) -> dict[str, Any]:
    supporters = build_requests(spec, spec["first"], spec["supporters"], spec["tag"])
    total = sum(len(r) for r in supporters)
    tally = Tally(spec["label"], total)
    progress = asyncio.create_task(tally.report_progress())
    cpu_before = time.process_time()
    try:
        if spec["mode"] == "paced":
            await paced(spec, supporters, tally)
        else:
            await closed_loop(spec, supporters, tally)
    finally:
        progress.cancel()
    cpu = time.process_time() - cpu_before
    ordered = sorted(tally.latencies)
    wall = tally.finished - tally.started
    return {
        "label": spec["label"],
        "texts": len(ordered),
        "wall_s": wall,
        "texts_per_s": len(ordered) / wall if wall > 0 else math.nan,
        "started": tally.started,
        "finished": tally.finished,
        "p50_ms": percentile(ordered, 0.50) * 1000,
        "p95_ms": percentile(ordered, 0.95) * 1000,
        "p99_ms": percentile(ordered, 0.99) * 1000,
        "max_ms": (ordered[-1] if ordered else math.nan) * 1000,
        "cpu_s": cpu,
        "by_step": {
            name: {
                "p50_ms": percentile(sorted(values), 0.5) * 1000,
                "p99_ms": percentile(sorted(values), 0.99) * 1000,
            }
            for name, values in zip(STEPS, tally.by_step, strict=True)
        },
        "errors": dict(tally.errors),
        "error_samples": tally.samples,
        "phones": [phone(i) for i in range(spec["first"], spec["first"] + spec["supporters"])],
    }


def main() -> None:
    spec = json.load(sys.stdin)
    result = asyncio.run(drive(spec))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
