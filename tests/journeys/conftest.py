"""The core journeys run on both stacks the bot ships, through one ``stack`` fixture.

- embedded: what `make run` builds with no settings (SQLite, an in-process Redis whose jobs run
  as they are queued, the console sender) and the sweeper thread serving it runs.
- real: PostgreSQL and Redis, a real ``python -m worker`` process, the fake Twilio.

Both take texts through the signed webhook, and both answer the carrier's part: each reply in
the webhook's TwiML, and on the real stack each text the fake Twilio took, is reported
delivered to its status callback, as Twilio would.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from fake_twilio import FakeTwilio
from flask import Flask
from rq.registry import StartedJobRegistry
from sqlalchemy import and_, exists, func, select
from twilio_signing import signed_headers

from bot import create_app
from bot.config import Settings
from bot.in_process import start_sweeping
from bot.recovery import sweep_forever
from bot.services import Services, services
from store.models import Broadcast, ConsentEvent, Message, Signature

ROOT = Path(__file__).resolve().parents[2]
# Quiet hours off: the journeys must pass at whatever hour they run.
ALL_DAY = "00:00-24:00"
SETTLE_SECONDS = 30.0
WENT_OUT = ("queued", "sent", "delivered")


class Stack:
    """A running bot as a person and an organizer meet it: texts in, texts out, its commands."""

    def __init__(
        self, app: Flask, twilio: FakeTwilio | None = None, log: Path | None = None
    ) -> None:
        self.app = app
        self.client = app.test_client()
        self.svc: Services = services()
        self.twilio = twilio  # the real stack's carrier; the console sender needs none
        self.log = log  # the worker's, shown when it does not settle
        self._reported: set[str] = set()

    @property
    def settings(self) -> Settings:
        return self.svc.settings

    def text(self, phone: str, body: str) -> list[str]:
        """Text ``body`` from ``phone`` as Twilio would, and return the bot's replies."""
        params = {"MessageSid": sid(), "From": phone, "To": self.number, "Body": body}
        response = self._post_signed("/sms", params)
        assert response.status_code == 200, response.get_data(as_text=True)
        replies = ElementTree.fromstring(response.get_data(as_text=True)).iter("Message")
        bodies = []
        for reply in replies:
            bodies.append(reply.text or "")
            # Twilio carries each TwiML reply and reports it to the reply's action URL.
            self._report(reply.attrib["action"], sid(), phone)
        return bodies

    def cli(self, args: list[str]) -> Result:
        """Run ``flask --app bot ARGS`` against this stack."""
        return self.app.test_cli_runner().invoke(args=args)

    def settle(self) -> None:
        """Wait until every job ran and every text went, then let the carrier report them."""
        # Twice in a row: a job between its queue and its registry looks like no job at all.
        calm = 0
        deadline = time.monotonic() + SETTLE_SECONDS
        while calm < 2:
            if time.monotonic() > deadline:
                raise AssertionError(f"the {self} stack did not settle:\n{self._busy()}")
            calm = calm + 1 if not self._busy() else 0
            time.sleep(0.05)
        if self.twilio is not None:
            for message in self.twilio.messages:
                if message.sid not in self._reported and message.status_callback:
                    self._report(message.status_callback, message.sid, message.to)

    def went_out(self, phone: str) -> list[str]:
        """The texts to ``phone`` the carrier took, oldest first."""
        with self.svc.db() as session:
            return list(
                session.scalars(
                    select(Message.body)
                    .where(
                        Message.direction == "out",
                        Message.phone == phone,
                        Message.sid.is_not(None),
                        Message.status.in_(WENT_OUT),
                    )
                    .order_by(Message.id)
                )
            )

    def wait_until(self, condition: Callable[[], bool], seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"the {self} stack timed out waiting for {what}")
            time.sleep(0.1)

    @property
    def number(self) -> str:
        # The embedded default has no number of its own: texts reach it whatever they name.
        return self.settings.twilio_phone_number or "+15005550006"

    def __str__(self) -> str:
        return "real" if self.twilio else "embedded"

    def _busy(self) -> str:
        """What is still to do, or nothing."""
        busy = []
        for queue in self.svc.queues.values():
            running = StartedJobRegistry(queue=queue).count
            if len(queue) or running:
                busy.append(f"queue {queue.name}: {len(queue)} queued, {running} running")
        with self.svc.db() as session:
            sending = session.scalar(
                select(func.count(Message.id)).where(
                    Message.direction == "out", Message.status.in_(("pending", "sending"))
                )
            )
            broadcasts = session.scalar(
                select(func.count(Broadcast.id)).where(
                    Broadcast.status.in_(("planning", "sending"))
                )
            )
            unsigned = session.scalar(
                select(func.count(ConsentEvent.id)).where(
                    ConsentEvent.kind == "opt_in",
                    ~exists().where(
                        and_(
                            Signature.campaign_id == ConsentEvent.campaign_id,
                            Signature.supporter_id == ConsentEvent.supporter_id,
                        )
                    ),
                )
            )
        if sending:
            busy.append(f"{sending} text(s) pending or sending")
        if broadcasts:
            busy.append(f"{broadcasts} broadcast(s) planning or sending")
        if unsigned:
            busy.append(f"{unsigned} YES(es) without a signature")
        if busy and self.log is not None:
            busy.append("the worker's log ends:\n" + "\n".join(tail(self.log)))
        return "\n".join(busy)

    def _report(self, url: str, message_sid: str, phone: str) -> None:
        params = {
            "MessageSid": message_sid,
            "MessageStatus": "delivered",
            "From": self.number,
            "To": phone,
        }
        path = url.removeprefix(self.settings.public_base_url.rstrip("/"))
        response = self._post_signed(path, params)
        assert response.status_code == 200, response.get_data(as_text=True)
        self._reported.add(message_sid)

    def _post_signed(self, path: str, params: dict[str, str]) -> Any:
        if self.settings.twilio_account_sid:
            params = {**params, "AccountSid": self.settings.twilio_account_sid}
        url = self.settings.public_base_url.rstrip("/") + path
        headers = signed_headers(self.settings.twilio_auth_token, url, params)
        return self.client.post(path, data=params, headers=headers)


def sid() -> str:
    """A new message SID, shaped as Twilio's are."""
    return "SM" + uuid.uuid4().hex


def tail(log: Path, lines: int = 40) -> list[str]:
    return log.read_text(errors="replace").splitlines()[-lines:]


@pytest.fixture(params=["embedded", "real"])
def stack(request: pytest.FixtureRequest) -> Stack:
    """The journey's bot: the embedded default, then the real stack."""
    return request.getfixturevalue(f"{request.param}_stack")  # type: ignore[no-any-return]


@pytest.fixture
def embedded_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """The app as `make run` builds it, with the sweeper thread its serving would start."""
    for name in ("BOT_ENV", "DATABASE_URL", "REDIS_URL", "SEND_WINDOW"):
        monkeypatch.delenv(name, raising=False)
    for name in [name for name in os.environ if name.startswith("TWILIO_")]:
        monkeypatch.delenv(name)
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path}/bot.sqlite3",
            "RECOVERY_INTERVAL": "1",
            "SEND_WINDOW": ALL_DAY,
        }
    )
    app.testing = True  # the fixture starts the sweeper itself, and stops it
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        stop = start_sweeping(app, sweep_forever)
        try:
            yield Stack(app)
        finally:
            stop.set()
            services().db.kw["bind"].dispose()
            services().redis.close()


@pytest.fixture
def settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The real stack's settings, which its worker runs with too.

    Its sweep keeps its own pace (RECOVERY_INTERVAL): work must go by its jobs and RQ's
    scheduler, on time, not wait to be found by a sweep.
    """
    return {**settings, "SEND_WINDOW": ALL_DAY}


class Worker:
    """One ``python -m worker`` for the folder's real-stack journeys, started with the first."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.settings: dict[str, Any] | None = None

    def run_with(self, settings: dict[str, Any]) -> None:
        if self.process is not None:
            assert settings == self.settings, "the journeys' worker runs with one settings"
            assert self.process.poll() is None, "the worker died:\n" + "\n".join(tail(self.log))
            return
        env = {name: value for name, value in os.environ.items() if name != "BOT_ENV"}
        env.update({name: str(value) for name, value in settings.items()})
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "worker"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.settings = settings

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="package")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    """The real stack's worker; it stops with the folder, so no later test's jobs reach it."""
    running = Worker(tmp_path_factory.mktemp("worker") / "worker.log")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def real_stack(app: Flask, settings: dict[str, Any], twilio: FakeTwilio, worker: Worker) -> Stack:
    """PostgreSQL, Redis, the fake Twilio and a real worker, each emptied for this journey."""
    worker.run_with(settings)
    return Stack(app, twilio=twilio, log=worker.log)
