"""The database engine and sessions, and the migrations that shape it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from bot.config import PROJECT_ROOT

# A connection back in the pool for longer than this is pinged before use. One used moments
# ago is not: in a surge every text would pay a round trip for it. If the server dropped it
# meanwhile, the statement fails, the pool lets go of every connection it had then, and Twilio's
# webhooks try once more (``once_more_if_dropped``); a job fails and RQ retries it.
PING_AFTER_IDLE_SECONDS = 10.0
T = TypeVar("T")
log = logging.getLogger(__name__)


def make_engine(url: str) -> Engine:
    """Create the engine for ``url``; SQLite gets settings that let web and jobs share it."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url, pool_size=10, max_overflow=20)

    @event.listens_for(engine, "checkin")
    def note_idle_since(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return  # new, or used a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError() from error  # the pool connects afresh and tries again
        if not alive:
            raise DisconnectionError()

    return engine


def once_more_if_dropped(work: Callable[[], T]) -> T:
    """Run ``work`` (one transaction); if the server had dropped its connection, once more."""
    try:
        return work()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
    # A restart or a failover since the connection's last use: the transaction went with it,
    # and the pool let go of its other connections of that time.
    log.warning("the database connection was lost: trying once more on a fresh one")
    return work()


def _sqlite_pragmas(connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = connection.cursor()
    # WAL lets the simulator read while a job writes; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "store" / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Bring the database at ``url`` to the newest migration."""
    command.upgrade(alembic_config(url), "head")
