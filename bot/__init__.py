"""The petition bot's web app: ``create_app()`` builds it from settings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from bot import (
    api,
    cli,
    error_pages,
    headers,
    health,
    in_process,
    limits,
    local_time,
    proxies,
    services,
)
from bot.accounts import auth
from bot.accounts import cli as accounts_cli
from bot.accounts import pages as account_pages
from bot.api import cli as api_cli
from bot.api import pages as api_pages
from bot.broadcasts import cli as broadcasts_cli
from bot.broadcasts import pages as broadcast_pages
from bot.campaigns import cli as campaigns_cli
from bot.campaigns import editor as campaign_editor
from bot.campaigns import policies
from bot.campaigns.files import ORGANIZATION_FILE, load_organization, organization_warnings
from bot.config import ConfigError, configure_logging, load_settings
from bot.dashboard import pages as dashboard_pages
from bot.devtools import chat, simulator
from bot.field import cli as field_cli
from bot.field import form as field_form
from bot.field import pages as field_pages
from bot.inbound import webhooks
from bot.integrations import cli as integrations_cli
from bot.integrations import pages as integration_pages
from bot.recovery import sweep_forever


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
    configure_logging()
    proxies.init_app(app, settings.trusted_proxies)
    headers.init_app(app, settings)
    limits.init_app(app, settings)
    services.init_app(app, settings)
    auth.init_app(app, settings)
    local_time.init_app(app)
    error_pages.init_app(app)
    # Twilio signs its webhooks; the simulator takes only JSON. Neither carries a CSRF token.
    auth.csrf.exempt(webhooks.bp)
    auth.csrf.exempt(simulator.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(dashboard_pages.bp)
    app.register_blueprint(campaign_editor.bp)
    app.register_blueprint(broadcast_pages.bp)
    app.register_blueprint(account_pages.bp)
    app.register_blueprint(field_pages.bp)
    app.register_blueprint(field_form.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(policies.bp)
    if not settings.production:
        app.register_blueprint(simulator.bp)
    if settings.embedded_redis:
        # No worker process runs beside the embedded default: this process sweeps instead.
        in_process.init_app(app, sweep=sweep_forever)
    # Views and commands are leaves: only this factory imports them (`make lint` checks).
    cli.init_app(app)
    field_cli.init_app(app)
    for group in (campaigns_cli.campaigns, broadcasts_cli.broadcast, accounts_cli.users, chat.chat):
        app.cli.add_command(group)
    integrations_cli.init_app(app)
    api.init_app(app, settings, auth.csrf)
    app.register_blueprint(api_pages.bp)
    app.cli.add_command(api_cli.api_tokens)
    app.register_blueprint(integration_pages.bp)

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
