"""In production, only Twilio's signed webhooks and the health check are open to the world."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from helpers import BOT_NUMBER, PUBLIC_BASE_URL
from twilio_signing import signed_headers

from bot import create_app
from bot.services import services

# Every route a stranger may reach, and why.
PUBLIC = {
    "/sms": "Twilio's inbound webhook, which checks Twilio's signature",
    "/sms/status": "Twilio's status callback, which checks Twilio's signature",
    "/healthz": "the platform's health check, which shows no data",
    "/privacy": "the privacy policy HELP and event signs link to",
    "/terms": "the text program's terms, linked beside it",
    "/static/<path:filename>": "Flask's static files",
    "/login": "the login form",
    "/logout": "logging out, which needs a session and a CSRF token to mean anything",
    "/events/<slug>/sign": "an event's printable sign: its keyword, number and QR code",
    "/events/<slug>/sign.pdf": "the same sign as a PDF",
    "/events/<slug>/qr.png": "the sign's QR code, which holds only the keyword and number",
    "/events/<slug>/stage": "an event's stage screen, which shows only a count",
    "/events/<slug>/count.json": "the stage screen's count",
    "/api/v1/openapi.json": "the REST API's OpenAPI document: its shape, no data",
}
SIGNED = {"/sms", "/sms/status"}


@pytest.fixture
def production(settings: dict[str, Any], app: Flask, live_campaigns: str) -> Iterator[Flask]:
    made = create_app(settings | {"BOT_ENV": "production", "CAMPAIGNS_DIR": live_campaigns})
    yield made
    with made.app_context():
        services().db.kw["bind"].dispose()
        services().redis.close()


def test_every_other_route_turns_a_stranger_away(production: Flask) -> None:
    client = production.test_client()
    checked = 0
    for rule in production.url_map.iter_rules():
        if rule.rule in PUBLIC:
            continue
        # Any value will do for the route's parts: a stranger must not get past the login.
        path = rule.build({name: "1" for name in rule.arguments}, append_unknown=False)[1]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            checked += 1
            assert response.status_code in (302, 400, 401, 403), f"{method} {path}"
            if response.status_code == 302:
                assert response.headers["Location"].startswith("/login"), f"{method} {path}"
    assert checked > 0


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
    params = {
        "MessageSid": "SM" + "1" * 32,
        "From": "+14045550123",
        "To": BOT_NUMBER,
        "Body": "FACES",
    }
    signed = signed_headers(twilio.auth_token, PUBLIC_BASE_URL + "/sms", params)
    assert production.test_client().post("/sms", data=params, headers=signed).status_code == 200
