"""What tests share besides fixtures: the test services' addresses, a phone, logging in."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ElementTree
from typing import Any

from fake_twilio import FakeTwilio
from flask.testing import FlaskClient
from twilio_signing import signed_headers

from bot.accounts.auth import hash_password
from bot.services import Services
from store.models import User

DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/petition_bot_test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PUBLIC_BASE_URL = "https://bot.example.org"
# The support contact of the campaign files tests run with: production refuses the shipped example.
LIVE_CONTACT = "help@crtt.example"
# A real database, Redis and Twilio (even a fake one) mean production rules: a long key.
SECRET_KEY = "a test key, long enough for production rules"
BOT_NUMBER = "+14045550100"


class Phone:
    """A supporter's phone: texts the bot through the signed webhook and reads what it got."""

    def __init__(self, client: FlaskClient, twilio: FakeTwilio, number: str) -> None:
        self.client, self.twilio, self.number = client, twilio, number
        self._count = 0

    def text(self, body: str, sid: str | None = None) -> list[str]:
        """Send ``body`` as Twilio would and return the bot's TwiML reply texts."""
        self._count += 1
        params = {
            "MessageSid": sid or f"SM{self.number[-10:]}{self._count:022d}",
            "AccountSid": self.twilio.account_sid,
            "From": self.number,
            "To": BOT_NUMBER,
            "Body": body,
            "NumMedia": "0",
        }
        response = post_signed(self.client, self.twilio.auth_token, "/sms", params)
        assert response.status_code == 200, response.get_data(as_text=True)
        return twiml_messages(response.get_data(as_text=True))

    def texts_received(self) -> list[str]:
        """Bodies the bot sent this phone through the REST API (the fake Twilio's record)."""
        return [m.body for m in self.twilio.messages if m.to == self.number]


def post_signed(client: FlaskClient, auth_token: str, path: str, params: dict[str, str]) -> Any:
    """POST form ``params`` to ``path`` with the signature Twilio would compute."""
    headers = signed_headers(auth_token, PUBLIC_BASE_URL + path, params)
    return client.post(path, data=params, headers=headers)


def twiml_messages(xml: str) -> list[str]:
    return [m.text or "" for m in ElementTree.fromstring(xml).iter("Message")]


def log_in(client: FlaskClient, svc: Services, role: str = "organizer") -> str:
    """Make an account with ``role`` and log ``client`` in; return the account's email."""
    email = f"{role}@example.org"
    with svc.db.begin() as session:
        session.add(User(email=email, password_hash=hash_password("a long passphrase"), role=role))
    response = client.post(
        "/login",
        data={"email": email, "password": "a long passphrase", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return email


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token the page at ``path`` gives this client's session."""
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)
