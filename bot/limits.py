"""Rate limits (Flask-Limiter, counted in Redis for every web process).

- The pages anyone may open (an event's sign, its PDF and QR code, the stage screen) are
  limited per client address, together: a flood of them must not take the CPU the webhook
  needs (PUBLIC_REQUESTS_PER_MINUTE).
- A field account may start SIGNUPS_PER_HOUR sign-up texts an hour: each one texts a
  number the account typed in, and a stolen or careless login must not text thousands.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from flask_login import current_user

from bot.config import Settings
from bot.services import services

log = logging.getLogger(__name__)
limiter = Limiter(key_func=get_remote_address, strategy="sliding-window-counter")


def _public_limit() -> str:
    return f"{services().settings.public_requests_per_minute}/minute"


def _signup_limit() -> str:
    return f"{services().settings.signups_per_hour}/hour"


def _field_account() -> str:
    # The account, not the login: each of its phones counts against the one budget.
    return f"account:{getattr(current_user, 'id', None)}"


def _too_many_signups(limit: RequestLimit) -> Response:
    per_hour = services().settings.signups_per_hour
    log.warning("field account %s reached its %s sign-up texts an hour", current_user.id, per_hour)
    error = f"This account has sent its {per_hour} sign-up texts for this hour:"
    response = jsonify(field=None, error=error)
    response.status_code = 429
    return response


# Shared by every public page, per address: one budget, whichever of them is asked for.
public = limiter.shared_limit(_public_limit, scope="public")
# Counted only for a sign-up that texted someone (201), not for a refused or repeated entry.
signup_texts = limiter.limit(
    _signup_limit,
    key_func=_field_account,
    deduct_when=lambda response: response.status_code == 201,
    on_breach=_too_many_signups,
)


def init_app(app: Flask, settings: Settings) -> None:
    app.config.update(
        RATELIMIT_STORAGE_URI=settings.redis_url or "memory://",
        # Redis away: serve the request rather than fail it (the webhook needs no limit).
        RATELIMIT_SWALLOW_ERRORS=True,
    )
    limiter.init_app(app)
