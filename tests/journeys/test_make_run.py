"""The README's first step, as a newcomer takes it: clone, `make run`, sign on the simulator."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
JANE = "+14045550123"
# Straight to the bot on this machine, past any proxy the environment names.
LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """`make run` in a process group of its own, and the simulator it serves."""

    def __init__(self, clone: Path, log: Path) -> None:
        self.port = free_port()
        self.log = log
        venv = sys.prefix
        # Not one of the bot's settings in the environment: the embedded default, as a
        # newcomer without any gets it.
        names = {field.name.upper() for field in fields(Settings)}
        env = {k: v for k, v in os.environ.items() if k not in names and not k.startswith("FLASK_")}
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                # The clone's requirement files are newer than this virtualenv's stamp, so make
                # would reinstall everything into it (minutes, and the network): -o takes the
                # virtualenv the tests run in as installed.
                [
                    "make",
                    "-o",
                    f"{venv}/bin/.installed",
                    "run",
                    f"PORT={self.port}",
                    f"VENV={venv}",
                ],
                cwd=clone,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def call(self, path: str, data: dict[str, str] | None = None) -> Any:
        body = None if data is None else json.dumps(data).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with LOCAL.open(request, timeout=10) as response:
            assert response.status == 200
            return json.loads(response.read())

    def healthy(self) -> bool:
        assert self.process.poll() is None, f"make run ended:\n{self.output()}"
        try:
            self.call("/healthz")
        except (OSError, urllib.error.URLError):
            return False
        return True

    def wait_for(self, condition: Callable[[], bool], seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {what}:\n{self.output()}"
            time.sleep(0.2)

    def output(self) -> str:
        """The end of what make and the bot printed, without the server's request lines."""
        lines = self.log.read_text(errors="replace").splitlines()
        return "\n".join([line for line in lines if "INFO werkzeug" not in line][-40:])

    def stop(self) -> None:
        """Stop make and the bot it started, as Ctrl-C in the terminal would."""
        group = self.process.pid
        os.killpg(group, signal.SIGINT)
        try:
            self.process.wait(timeout=10)
            self.wait_for(lambda: not group_alive(group), 10, "the bot to stop")
        finally:
            if group_alive(group):
                os.killpg(group, signal.SIGKILL)
                self.process.wait()


def group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    clone = tmp_path / "petition-bot"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    running = Served(clone, tmp_path / "make-run.log")
    try:
        # Two Python start-ups (the migration, then the server) on a machine shared with tests.
        running.wait_for(running.healthy, 60, "/healthz")
        yield running
    finally:
        running.stop()


def test_make_run_from_a_fresh_clone_confirms_a_signer_on_the_simulator(served: Served) -> None:
    for body in ("FACES", "Jane Doe", "30303", "YES"):
        served.call("/simulator/messages", {"phone": JANE, "body": body})

    def confirmed() -> bool:
        thread = served.call(f"/simulator/messages?phone={JANE}")["messages"]
        sent = [m for m in thread if m["kind"] == "confirmation"]
        assert not sent or sent[-1]["status"] != "failed", sent[-1]["failure"]
        return bool(sent) and sent[-1]["status"] in ("sent", "delivered")

    served.wait_for(confirmed, 30, "the confirmation to be delivered")
