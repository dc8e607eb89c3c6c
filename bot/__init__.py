"""The petition bot's web app: ``create_app()`` builds it from settings."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from bot import (
    auth,
    broadcast_pages,
    campaign_editor,
    cli,
    dashboard,
    field_form,
    field_pages,
    headers,
    health,
    limits,
    proxies,
    services,
    simulator,
    webhooks,
)
from bot.config import load_settings


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then the environment, then ``config`` (README names)."""
    app = Flask(__name__, instance_relative_config=True)
    settings = load_settings(os.environ, config or {}, instance_path=app.instance_path)
    # Twilio's webhooks are a few kilobytes; nothing the app takes is larger than this.
    app.config.update(
        SECRET_KEY=settings.secret_key, SETTINGS=settings, MAX_CONTENT_LENGTH=256 * 1024
    )
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # The twilio client logs every request's headers at INFO: a dozen lines per text sent.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    proxies.init_app(app, settings.trusted_proxies)
    headers.init_app(app, settings)
    limits.init_app(app, settings)
    services.init_app(app, settings)
    auth.init_app(app, settings)
    # Twilio signs its webhooks; the simulator takes only JSON. Neither carries a CSRF token.
    auth.csrf.exempt(webhooks.bp)
    auth.csrf.exempt(simulator.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(campaign_editor.bp)
    app.register_blueprint(broadcast_pages.bp)
    app.register_blueprint(field_pages.bp)
    app.register_blueprint(field_form.bp)
    app.register_blueprint(health.bp)
    if not settings.production:
        app.register_blueprint(simulator.bp)
    cli.init_app(app)

    @app.context_processor
    def organization() -> dict[str, str]:
        return {"organization_name": services.services().catalog.organization.name}

    return app
