"""``GET /healthz``: 200 when the database and Redis answer, 503 naming the one that did not.

It also tells whether a worker has been seen in the last minute and how many jobs wait in each
queue. Neither changes the status code: a platform restarting the web because the worker is
away would not bring the worker back.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from rq.worker import Worker, WorkerStatus
from sqlalchemy import text

from bot.services import Services, services
from store.models import iso_utc

bp = Blueprint("health", __name__)
SEEN_WITHIN = timedelta(minutes=1)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    svc = services()
    checks = {"database": "ok", "redis": "ok"}
    try:
        with svc.db() as session:
            session.execute(text("SELECT 1"))
    except Exception as error:  # any failure at all means "not healthy"
        checks["database"] = f"failed: {type(error).__name__}"
    try:
        svc.redis.ping()
    except Exception as error:
        checks["redis"] = f"failed: {type(error).__name__}"
    healthy = all(v == "ok" for v in checks.values())
    reachable = checks["redis"] == "ok"
    return jsonify(
        status="ok" if healthy else "failing",
        checks=checks,
        worker=_worker(svc) if reachable else None,
        queues={name: queue.count for name, queue in svc.queues.items()} if reachable else None,
    ), 200 if healthy else 503


def _worker(svc: Services) -> dict[str, Any]:
    """Whether a worker has been seen lately: by its heartbeat, or busy on a job."""
    if svc.settings.embedded_redis:
        # No worker process: the web runs each job as it is queued.
        return {"seen": False, "in_process": True, "last_heartbeat": None}
    workers = Worker.all(connection=svc.redis)
    beats = [w.last_heartbeat for w in workers if w.last_heartbeat is not None]
    last = max(beats, default=None)
    # A worker beats every 45 s while it waits for work, and only as a job starts while it
    # runs one; a busy worker's key lives no longer than its job's timeout.
    busy = any(w.get_state() == WorkerStatus.BUSY for w in workers)
    seen = busy or (last is not None and datetime.now(UTC) - last <= SEEN_WITHIN)
    return {
        "seen": seen,
        "in_process": False,
        "last_heartbeat": iso_utc(last) if last else None,
    }
