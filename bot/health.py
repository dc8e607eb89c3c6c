"""``GET /healthz``: 200 when the database and Redis answer, 503 naming the one that did not."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from bot.services import services

bp = Blueprint("health", __name__)


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
    return jsonify(status="ok" if healthy else "failing", checks=checks), 200 if healthy else 503
