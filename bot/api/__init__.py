"""The REST API under ``/api/v1``: token auth, per-token limits, JSON errors, OpenAPI."""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter

from bot.api import errors, openapi
from bot.api.tokens import digest
from bot.config import Settings


def _rate_key() -> str:
    # Per token (its hash: never the token itself in Redis); per address without one.
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme == "Bearer" and token.strip():
        return "token:" + digest(token.strip())
    return "address:" + (request.remote_addr or "")


def init_app(app: Flask, settings: Settings, csrf: object) -> None:
    limiter = Limiter(
        key_func=_rate_key,
        app=app,
        storage_uri=settings.redis_url or "memory://",
        headers_enabled=True,
        key_prefix="api-limit",
    )
    limiter.limit(settings.api_rate_limit)(openapi.bp)
    csrf.exempt(openapi.bp)  # type: ignore[attr-defined]  # tokens, not cookies
    app.register_blueprint(openapi.bp)
    errors.init_app(app)
