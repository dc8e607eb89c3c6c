"""What the bench scripts share: a free port, waiting for a condition, emptying their database,
and campaign files production rules accept."""

from __future__ import annotations

import shutil
import socket
import tempfile
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]


@cache
def campaigns_folder() -> str:
    """The shipped campaign files in a folder of their own, with a support contact that is not
    the shipped example: a real database and Redis mean production rules, which refuse it."""
    folder = Path(tempfile.mkdtemp(prefix="bench-campaigns-")) / "campaigns"
    shutil.copytree(ROOT / "campaigns", folder)
    organization = folder / "organization.yaml"
    words = organization.read_text(encoding="utf-8")
    organization.write_text(words.replace("help@example.org", "help@bench.example"), "utf-8")
    return str(folder)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise RuntimeError(f"timed out after {seconds:.0f} s waiting for {what}")


def empty_tables(url: str) -> None:
    """Empty every table of the database at ``url`` but Alembic's, restarting the ids."""
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = connection.scalars(
            text(
                "SELECT quote_ident(tablename) FROM pg_tables"
                " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
        ).all()
        if tables:
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()
