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
    health,
    in_process,
    policies,
    services,
    simulator,
    webhooks,
)
from bot.campaigns import ORGANIZATION_FILE, load_organization, organization_warnings
from bot.config import ConfigError, load_settings
from worker.recovery import sweep_forever


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then the environment, then ``config`` (README names)."""
    app = Flask(__name__, instance_relative_config=True)
    settings = load_settings(os.environ, config or {}, instance_path=app.instance_path)
    if settings.production:
        _check_organization(settings.campaigns_dir)
    # Twilio's webhooks are a few kilobytes; nothing the app takes is larger than this.
    app.config.update(
        SECRET_KEY=settings.secret_key, SETTINGS=settings, MAX_CONTENT_LENGTH=256 * 1024
    )
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # The twilio client logs every request's headers at INFO: a dozen lines per text sent.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
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
    app.register_blueprint(policies.bp)
    if not settings.production:
        app.register_blueprint(simulator.bp)
    if settings.embedded_redis:
        # No worker process runs beside the embedded default: this process sweeps instead.
        in_process.init_app(app, sweep=sweep_forever)
    cli.init_app(app)

    @app.context_processor
    def organization() -> dict[str, str]:
        return {"organization_name": services.services().catalog.organization.name}

    return app


def _check_organization(campaigns_dir: str) -> None:
    # HELP, the privacy policy and the terms send people to the organization's contact: a
    # production bot may not start with the example one.
    problems = organization_warnings(load_organization(campaigns_dir))
    if problems:
        raise ConfigError(f"edit {ORGANIZATION_FILE} in CAMPAIGNS_DIR: " + "; ".join(problems))
