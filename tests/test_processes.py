"""The real processes: gunicorn serving ``bot:create_app()`` and ``python -m worker``.

A worker is killed with SIGKILL while it records signatures and sends confirmations; after a
new worker starts, every YES is a signature and every signer has a confirmation: exactly one,
except where the kill fell between Twilio's answer and storing its SID (at most one, counted).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fake_twilio import FakeTwilio
from helpers import BOT_NUMBER, REDIS_URL, SECRET_KEY
from sqlalchemy import func, select
from standardwebhooks import Webhook
from twilio_signing import signed_headers

from bot.integrations import action_network as connection
from bot.integrations import webhooks
from store.models import Message, Signature

ROOT = Path(__file__).resolve().parents[1]
SUPPORTERS = [f"+1404555{n:04d}" for n in range(200, 212)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Stack:
    """Web and worker processes on this machine's PostgreSQL and Redis, texting a fake Twilio."""

    def __init__(self, database_url: str, twilio: FakeTwilio, campaigns_dir: str) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.twilio = twilio
        self.env = {
            **os.environ,
            "BOT_ENV": "production",
            "CAMPAIGNS_DIR": campaigns_dir,
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "TWILIO_ACCOUNT_SID": twilio.account_sid,
            "TWILIO_AUTH_TOKEN": twilio.auth_token,
            "TWILIO_PHONE_NUMBER": BOT_NUMBER,
            "TWILIO_API_BASE_URL": twilio.base_url,
            "PUBLIC_BASE_URL": self.base_url,
            "SECRET_KEY": SECRET_KEY,
            "JOB_TIMEOUT": "2",
            "RECOVERY_INTERVAL": "1",
            "RECOVERY_GRACE": "1",
        }
        self.processes: list[subprocess.Popen[bytes]] = []
        self.sent = 0

    def start(self, *command: str, own_session: bool = False) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            start_new_session=own_session,
        )
        self.processes.append(process)
        return process

    def start_web(self) -> None:
        bind = f"127.0.0.1:{self.port}"
        self.start(sys.executable, "-m", "gunicorn", "--bind", bind, "-w", "2", "bot:create_app()")
        wait_for(self.healthy, 30, "gunicorn to answer /healthz")

    def start_worker(self, own_session: bool = False) -> subprocess.Popen[bytes]:
        return self.start(sys.executable, "-m", "worker", own_session=own_session)

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.base_url + "/healthz", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def text(self, phone: str, body: str) -> int:
        self.sent += 1
        params = {
            "MessageSid": f"SM{self.sent:032d}",
            "AccountSid": self.twilio.account_sid,
            "From": phone,
            "To": BOT_NUMBER,
            "Body": body,
        }
        headers = signed_headers(self.twilio.auth_token, self.base_url + "/sms", params)
        request = urllib.request.Request(
            self.base_url + "/sms", data=urlencode(params).encode(), headers=headers
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def children_of(pid: int) -> list[int]:
    tasks = Path(f"/proc/{pid}/task").iterdir()
    return [int(child) for task in tasks for child in (task / "children").read_text().split()]


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"  # a zombie is dead, only not reaped


@pytest.fixture
def stack(app, database_url: str, twilio: FakeTwilio, live_campaigns: str) -> Iterator[Stack]:
    running = Stack(database_url, twilio, live_campaigns)
    try:
        running.start_web()
        yield running
    finally:
        running.stop()


def test_a_worker_killed_mid_run_loses_no_signature_and_doubles_at_most_one_text(
    stack: Stack, twilio: FakeTwilio, svc
) -> None:
    for phone in SUPPORTERS:
        for body in ("FACES", "Jane Doe", "30303", "YES"):
            assert stack.text(phone, body) == 200
    # Twilio takes its time, so the kill lands while confirmations are going out.
    twilio.latency = 0.2
    first = stack.start_worker(own_session=True)
    wait_for(lambda: len(twilio.messages) >= 3, 60, "the first confirmations")
    children = children_of(first.pid)  # RQ's scheduler
    assert children
    # Below the web's CPU priority (WORKER_NICENESS), and so is its scheduler; in a session
    # of its own, the session is lowered too, where Linux shares the CPU between sessions.
    lowered = min(os.getpriority(os.PRIO_PROCESS, 0) + 10, 19)
    assert os.getpriority(os.PRIO_PROCESS, first.pid) == lowered
    assert all(os.getpriority(os.PRIO_PROCESS, pid) == lowered for pid in children)
    if Path("/proc/self/autogroup").exists():
        assert Path(f"/proc/{first.pid}/autogroup").read_text().endswith(" nice 10\n")
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    # Killed with it: an orphan would hold its copies of the worker's database connections.
    wait_for(lambda: not any(alive(pid) for pid in children), 10, "its children to die")
    second = stack.start_worker()
    if Path("/proc/self/autogroup").exists():
        # Sharing this test's session: the session's priority is left as it was.
        ours = Path("/proc/self/autogroup").read_text()
        started = lambda: os.getpriority(os.PRIO_PROCESS, second.pid) == lowered  # noqa: E731
        wait_for(started, 30, "the second worker to lower its priority")
        assert Path(f"/proc/{second.pid}/autogroup").read_text() == ours

    def all_confirmed() -> bool:
        # Confirmed means Twilio took it and the bot stored the SID Twilio gave it.
        with svc.db() as session:
            return session.scalar(
                select(func.count(Message.id)).where(
                    Message.kind == "confirmation", Message.sid.is_not(None)
                )
            ) == len(SUPPORTERS)

    wait_for(all_confirmed, 90, "every confirmation")
    with svc.db() as session:
        assert session.scalar(select(func.count(Signature.id))) == len(SUPPORTERS)
    assert {m.to for m in twilio.messages} == set(SUPPORTERS)
    per_phone = Counter(m.to for m in twilio.messages)
    doubled = [phone for phone, count in per_phone.items() if count > 1]
    assert len(doubled) <= 1, per_phone
    assert all(count <= 2 for count in per_phone.values()), per_phone


def test_a_running_worker_sends_a_signature_to_webhooks_and_action_network(
    stack: Stack, svc, receiver, action_network
) -> None:
    _, secret = webhooks.add(svc, receiver.url, ["signature.created"])
    stack.env |= {
        "ACTION_NETWORK_API_KEY": action_network.api_key,
        "ACTION_NETWORK_API_URL": action_network.api_url,
    }
    svc.settings = replace(svc.settings, action_network_api_key=action_network.api_key)
    connection.connect(svc, "doj-face-recognition", action_network.petition_id)
    stack.start_worker()
    for body in ("FACES", "Jane Doe", "30303", "YES"):
        assert stack.text(SUPPORTERS[0], body) == 200
    # Nothing asks the worker: its sweep finds the event the signature wrote.
    wait_for(lambda: len(receiver.received) == 1, 30, "the webhook")
    event = Webhook(secret).verify(receiver.received[0].body, receiver.received[0].headers)
    assert event["data"]["supporter"]["phone"] == SUPPORTERS[0]
    wait_for(lambda: len(action_network.signatures) == 1, 30, "the Action Network signature")
