"""The embedded default: jobs run in-process, a failure shows, due work goes out by itself."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bot.broadcasts import service as broadcasts
from bot.broadcasts.audience import Audience
from bot.in_process import start_sweeping
from bot.outbound.senders import Outgoing, Sent
from bot.recovery import sweep_forever
from bot.services import Services, services
from store.models import Broadcast, Message, utcnow

JANE = "+14045550123"


@pytest.fixture
def embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app as `make run` builds it: SQLite, in-process Redis and jobs, the console sender."""
    for name in ("BOT_ENV", "DATABASE_URL", "REDIS_URL", "TWILIO_ACCOUNT_SID"):
        monkeypatch.delenv(name, raising=False)
    app = create_embedded(tmp_path)
    with app.app_context():
        yield app
        services().db.kw["bind"].dispose()
        services().redis.close()


def create_embedded(tmp_path: Path) -> Flask:
    from bot import create_app

    app = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path}/bot.sqlite3", "RECOVERY_INTERVAL": "1"}
    )
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    app.testing = True  # a test that wants the sweeping thread starts it
    return app


class BrokenSender:
    """A sender with a bug of ours in it (not the carrier's refusal)."""

    def send(self, outgoing: Outgoing) -> Sent:
        raise RuntimeError("the sender broke")


def sign(client: FlaskClient) -> list[dict[str, Any]]:
    for body in ("FACES", "Jane Doe", "30303", "YES"):
        response = client.post("/simulator/messages", json={"phone": JANE, "body": body})
        assert response.status_code == 200
    return list(response.get_json()["messages"])


def test_a_signer_gets_the_confirmation_sent(embedded: Flask) -> None:
    last = sign(embedded.test_client())[-1]
    assert last["kind"] == "confirmation"
    assert last["status"] == "delivered"


def test_a_failed_job_is_logged_and_shows_failed_with_its_reason(
    embedded: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    services().sender = BrokenSender()
    with caplog.at_level(logging.ERROR, logger="bot.in_process"):
        last = sign(embedded.test_client())[-1]
    assert last["kind"] == "confirmation"
    assert last["status"] == "failed"
    assert last["failure"] == "RuntimeError: the sender broke"
    assert "Traceback" in caplog.text and "the sender broke" in caplog.text


def pending_message(svc: Services) -> int:
    with svc.db.begin() as session:
        message = Message(
            direction="out",
            phone=JANE,
            body="A reminder",
            status="pending",
            kind="reply",
            # An answer to her text of a minute ago: quiet hours do not hold it.
            in_reply_at=utcnow() - timedelta(minutes=1),
            updated_at=utcnow() - timedelta(hours=1),
        )
        session.add(message)
        session.flush()
        return message.id


def test_recover_says_what_it_could_not_do_and_fails(embedded: Flask) -> None:
    svc = services()
    message_id = pending_message(svc)
    svc.sender = BrokenSender()
    result = embedded.test_cli_runner().invoke(args=["recover"])
    assert result.exit_code != 0
    assert "requeued 0 signature(s), 1 message(s)" in result.output
    assert f"1 of them failed (see the log above): send_message-{message_id}" in result.output


def test_recover_succeeds_when_everything_went(embedded: Flask) -> None:
    message_id = pending_message(services())
    result = embedded.test_cli_runner().invoke(args=["recover"])
    assert result.exit_code == 0, result.output
    with services().db() as session:
        assert session.get(Message, message_id).status == "delivered"  # type: ignore[union-attr]


def wait_for(check: Any, seconds: float = 15) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    return check()


def test_held_work_goes_out_by_itself_while_the_app_serves(embedded: Flask) -> None:
    svc = services()
    with svc.db.begin() as session:
        held = Message(
            direction="out",
            phone=JANE,
            body="Good morning",
            status="held",
            kind="reply",
            in_reply_at=utcnow(),
            send_after=utcnow() + timedelta(seconds=1),
        )
        session.add(held)
        session.flush()
        held_id = held.id
    stop = start_sweeping(embedded, sweep_forever)
    try:

        def status() -> str | None:
            with svc.db() as session:
                found = session.scalar(select(Message.status).where(Message.id == held_id))
            return found if found == "delivered" else None

        assert wait_for(status) == "delivered"
    finally:
        stop.set()


def test_serving_starts_the_sweep_once_and_tests_do_not(embedded: Flask) -> None:
    embedded.testing = True
    embedded.test_client().get("/healthz")
    assert "in_process.sweeper" not in embedded.extensions
    embedded.testing = False
    embedded.test_client().get("/healthz")
    stop = embedded.extensions["in_process.sweeper"]
    embedded.test_client().get("/healthz")
    assert embedded.extensions["in_process.sweeper"] is stop
    stop.set()


def test_a_broadcast_scheduled_from_los_angeles_waits_for_its_time(embedded: Flask) -> None:
    svc = services()
    sign(embedded.test_client())
    twenty_minutes_ahead = (utcnow() + timedelta(minutes=20)).astimezone(
        ZoneInfo("America/Los_Angeles")
    )
    broadcast_id = broadcasts.create(
        svc, "doj-face-recognition", Audience.of(), "Rally Saturday!", twenty_minutes_ahead
    )
    assert broadcasts.start(svc, broadcast_id) == "scheduled"
    embedded.test_cli_runner().invoke(args=["recover"])
    with svc.db() as session:
        broadcast = session.get(Broadcast, broadcast_id)
        assert broadcast is not None
        assert broadcast.status == "scheduled"
        assert broadcast.send_at == twenty_minutes_ahead
