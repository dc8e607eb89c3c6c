"""Fixtures: the app on the real PostgreSQL and Redis of this machine, and a fake Twilio.

Set TEST_DATABASE_URL and TEST_REDIS_URL to run elsewhere. The test database is created
and migrated once per run; every test starts with empty tables and an empty Redis database.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_twilio import FakeTwilio
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from redis import Redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from twilio_signing import signed_headers

from bot import create_app
from bot.database import upgrade
from bot.services import Services, services
from store.models import Base
from worker.lean import LeanWorker

DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/petition_bot_test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PUBLIC_BASE_URL = "https://bot.example.org"
BOT_NUMBER = "+14045550100"


@pytest.fixture(scope="session")
def database_url() -> str:
    """Create the test database if needed and bring it to the newest migration."""
    url = make_url(DATABASE_URL)
    if url.get_backend_name() == "postgresql":
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            found = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
            )
            if not found:
                connection.execute(text(f'CREATE DATABASE "{url.database}"'))
        admin.dispose()
    upgrade(DATABASE_URL)
    return DATABASE_URL


@pytest.fixture(scope="session")
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def twilio(fake_twilio: FakeTwilio) -> Iterator[FakeTwilio]:
    """The fake Twilio, emptied for this test."""
    fake_twilio.reset()
    yield fake_twilio
    fake_twilio.reset()


def _empty(database_url: str) -> None:
    engine = create_engine(database_url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session")
def live_campaigns(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The shipped campaign files with a real support contact, which production insists on."""
    folder = tmp_path_factory.mktemp("live") / "campaigns"
    shutil.copytree(Path(__file__).resolve().parents[1] / "campaigns", folder)
    organization = folder / "organization.yaml"
    text_ = organization.read_text(encoding="utf-8")
    organization.write_text(text_.replace("help@example.org", "help@crtt.example"), "utf-8")
    return str(folder)


@pytest.fixture
def settings(database_url: str, twilio: FakeTwilio) -> dict[str, Any]:
    """The settings a test app runs with; a test may change them before asking for ``app``."""
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "TWILIO_ACCOUNT_SID": twilio.account_sid,
        "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_PHONE_NUMBER": BOT_NUMBER,
        "TWILIO_API_BASE_URL": twilio.base_url,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "SECRET_KEY": "test-secret",
        "RECOVERY_GRACE": "0",
    }


@pytest.fixture
def app(settings: dict[str, Any], database_url: str) -> Iterator[Flask]:
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    _empty(database_url)
    app = create_app(settings)
    app.config["TESTING"] = True
    with app.app_context():
        svc = services()
        yield app
        svc.db.kw["bind"].dispose()
        svc.redis.close()
    redis.flushdb()
    redis.close()


@pytest.fixture
def svc(app: Flask) -> Services:
    return services()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


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
    import xml.etree.ElementTree as ElementTree

    return [m.text or "" for m in ElementTree.fromstring(xml).iter("Message")]


@pytest.fixture
def phone(client: FlaskClient, twilio: FakeTwilio) -> Phone:
    """Jane's phone, in Atlanta."""
    return Phone(client, twilio, "+14045550123")


@pytest.fixture
def run_jobs(svc: Services) -> Any:
    """Run every queued job to the end, in this process, as a worker would."""

    def run() -> None:
        LeanWorker(list(svc.queues.values()), connection=svc.redis).work(
            burst=True, with_scheduler=False
        )

    return run


@pytest.fixture
def rally(runner: FlaskCliRunner) -> None:
    """The Atlanta rally (keyword FACESATL), with Maria Lopez registered as its volunteer."""
    for args in (
        ["events", "create", "atlanta-rally", "--campaign", "doj-face-recognition",
         "--keyword", "FACESATL", "--name", "the Atlanta rally"],
        ["volunteers", "add", "(404) 555-0150", "--name", "Maria Lopez", "--event",
         "atlanta-rally"],
    ):  # fmt: skip
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output


def log_in(client: FlaskClient, svc: Services, role: str = "organizer") -> str:
    """Make an account with ``role`` and log ``client`` in; return the account's email."""
    from bot.auth import hash_password
    from store.models import User

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
    import re

    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)
