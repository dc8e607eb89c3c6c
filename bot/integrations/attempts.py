"""One try at handing something to another tool over HTTP, and when to try again.

Webhook deliveries and Action Network syncs share this: a row that is ``pending`` with a
``next_attempt_at``, tried by a job; each failure waits longer, for about a day, and then the
row is ``failed`` (a person can send it again).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import requests

from store.statuses import DeliveryStatus

# Seconds to wait after each failed try: doubling, then capped, about 24 hours in all.
BACKOFF = (30, 60, 120, 300, 600, 1200, 2400, 3600, 7200, 14400, 28800, 28800)
# A job for a due row was queued this long ago and has not run: the pump queues it again.
LEASE = timedelta(minutes=5)
TIMEOUT_SECONDS = 10  # under the job timeout, with room to store the answer
ERROR_LIMIT = 500  # characters of a receiver's answer kept in the log


@dataclass(frozen=True)
class Answer:
    """What the other side said: a status code and body, or why there was none."""

    code: int | None
    body: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.code is not None and 200 <= self.code < 300


class Attempted(Protocol):
    """A row tried over HTTP: a webhook delivery or an Action Network sync."""

    status: str
    attempts: int
    next_attempt_at: datetime
    response_code: int | None
    error: str | None


def call(method: str, url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """Send one request; a network failure is an answer with no code, never an exception."""
    try:
        response = requests.request(
            method,
            url,
            data=body,
            headers=headers,
            timeout=TIMEOUT_SECONDS,
            allow_redirects=False,  # a redirect would carry the signed body to another host
        )
    except requests.RequestException as failure:
        return Answer(None, error=f"{type(failure).__name__}: {failure}"[:ERROR_LIMIT])
    return Answer(response.status_code, response.text)


def settle(row: Attempted, answer: Answer, now: datetime, done: str = DeliveryStatus.DONE) -> None:
    """Record a try on ``row``: ``done`` when it worked, else wait for the next or give up."""
    row.attempts += 1
    row.response_code = answer.code
    if answer.ok:
        row.status, row.error = done, None
        return
    row.error = answer.error or f"HTTP {answer.code}: {answer.body[:ERROR_LIMIT]}"
    if row.attempts > len(BACKOFF):
        row.status = DeliveryStatus.FAILED
    else:
        row.next_attempt_at = now + timedelta(seconds=BACKOFF[row.attempts - 1])


def again(row: Attempted, now: datetime) -> None:
    """Make a finished or failed row due now, with a day of tries ahead of it."""
    row.status, row.attempts, row.next_attempt_at = DeliveryStatus.PENDING, 0, now


def json_body(data: Any) -> bytes:
    """Compact JSON: the very bytes that are signed and sent."""
    return json.dumps(data, separators=(",", ":")).encode()
