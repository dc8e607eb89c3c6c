"""In production, only Twilio's signed webhooks and the health check are open to the world."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import PUBLIC_BASE_URL
from flask import Flask
from twilio_signing import signed_headers

from bot import create_app
from bot.services import services

# Every route a stranger may reach, and why.
PUBLIC = {
    "/sms": "Twilio's inbound webhook, which checks Twilio's signature",
    "/sms/status": "Twilio's status callback, which checks Twilio's signature",
    "/healthz": "the platform's health check, which shows no data",
    "/static/<path:filename>": "Flask's static files",
}
SIGNED = {"/sms", "/sms/status"}


@pytest.fixture
def production(settings: dict[str, Any], app: Flask) -> Iterator[Flask]:
    made = create_app(settings | {"BOT_ENV": "production"})
    yield made
    with made.app_context():
        services().db.kw["bind"].dispose()
        services().redis.close()


def test_it_serves_no_route_that_is_not_known_to_be_public(production: Flask) -> None:
    routes = {rule.rule for rule in production.url_map.iter_rules()}
    assert routes - set(PUBLIC) == set(), "a new route must require a login, or be listed here"


@pytest.mark.parametrize("path", sorted(SIGNED))
def test_an_unsigned_webhook_is_refused_in_production(production: Flask, path: str) -> None:
    params = {"MessageSid": "SM" + "1" * 32, "From": "+14045550123", "Body": "FACES"}
    assert production.test_client().post(path, data=params).status_code == 403


@pytest.mark.parametrize("path", sorted(SIGNED))
def test_a_webhook_signed_for_another_url_is_refused_in_production(
    production: Flask, twilio, path: str
) -> None:
    params = {"MessageSid": "SM" + "1" * 32, "From": "+14045550123", "Body": "FACES"}
    replayed = signed_headers(twilio.auth_token, "https://other.example" + path, params)
    response = production.test_client().post(path, data=params, headers=replayed)
    assert response.status_code == 403


def test_a_signed_webhook_is_answered_in_production(production: Flask, twilio) -> None:
    params = {"MessageSid": "SM" + "1" * 32, "From": "+14045550123", "Body": "FACES"}
    signed = signed_headers(twilio.auth_token, PUBLIC_BASE_URL + "/sms", params)
    assert production.test_client().post("/sms", data=params, headers=signed).status_code == 200
