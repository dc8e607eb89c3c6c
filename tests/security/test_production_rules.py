"""A bot pointed at anything real runs by production rules, whether or not BOT_ENV says so."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from helpers import PUBLIC_BASE_URL
from twilio_signing import signed_headers

from bot import create_app
from bot.config import DEVELOPMENT_AUTH_TOKEN, ConfigError

JANE = "+14045550123"


def without(settings: dict[str, Any], *names: str) -> dict[str, Any]:
    # create_app also reads the environment: blank the names rather than leave them out.
    return settings | {name: "" for name in names}


def test_a_real_stack_without_bot_env_or_a_key_refuses_to_start(settings) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY .*DATABASE_URL and REDIS_URL and TWILIO"):
        create_app(without(settings, "SECRET_KEY", "BOT_ENV"))


@pytest.mark.parametrize(
    "key",
    ["x", "development-secret-key", "test-secret", "changeme", "changeme-please-" + "0" * 32],
)
def test_a_short_or_published_key_is_refused_in_production(settings, key: str) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(settings | {"SECRET_KEY": key})


def test_http_on_a_public_host_is_refused_in_production(settings) -> None:
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL must start with https://"):
        create_app(settings | {"PUBLIC_BASE_URL": "http://bot.example.org"})


@pytest.mark.parametrize(
    "local", ["http://localhost:5000", "http://127.0.0.1:8000", "http://[::1]"]
)
def test_http_on_this_machine_is_allowed_for_local_runs(app_with, settings, local: str) -> None:
    assert app_with(settings | {"PUBLIC_BASE_URL": local}).config["SETTINGS"].production


def test_a_real_stack_without_bot_env_has_no_simulator(app_with, settings) -> None:
    client = app_with(without(settings, "BOT_ENV")).test_client()
    assert client.get("/simulator/messages", query_string={"phone": JANE}).status_code == 404
    assert client.post("/simulator/messages", json={"phone": JANE, "body": "STOP"}).status_code == (
        404
    )


def test_a_real_database_without_twilio_accepts_no_development_signature(
    app_with, settings
) -> None:
    app = app_with(
        without(settings, "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_PHONE_NUMBER")
    )
    params = {"MessageSid": "SM" + "1" * 32, "From": JANE, "To": "+14045550100", "Body": "STOP"}
    forged = signed_headers(DEVELOPMENT_AUTH_TOKEN, PUBLIC_BASE_URL + "/sms", params)
    assert app.test_client().post("/sms", data=params, headers=forged).status_code == 403


def test_the_embedded_default_keeps_its_conveniences(embedded: Flask) -> None:
    settings = embedded.config["SETTINGS"]
    assert not settings.production
    assert embedded.test_client().get("/simulator/").status_code == 200
