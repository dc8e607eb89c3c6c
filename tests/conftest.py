"""Fixtures: the app on the real PostgreSQL and Redis of this machine, and a fake Twilio.

Set TEST_DATABASE_URL and TEST_REDIS_URL to run elsewhere. The test database is created
and migrated once per run; every test starts with empty tables and an empty Redis database.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_action_network import FakeActionNetwork
from fake_twilio import FakeTwilio
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from helpers import (
    BOT_NUMBER,
    DATABASE_URL,
    LIVE_CONTACT,
    PUBLIC_BASE_URL,
    REDIS_URL,
    SECRET_KEY,
    Phone,
)
from redis import Redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from webhook_receiver import WebhookReceiver

from bot import create_app
from bot.database import upgrade
from bot.services import Services, services
from store.models import Base
from worker.lean import LeanWorker


@pytest.fixture(scope="session")
def database_url() -> str:
    """Make the test database anew and bring it to the newest migration.

    Anew each run: a database left at a revision from another branch of the history would
    otherwise be upgraded from there, past migrations it never ran.
    """
    url = make_url(DATABASE_URL)
    if url.get_backend_name() == "postgresql":
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
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


@pytest.fixture(scope="session")
def webhook_receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def receiver(webhook_receiver: WebhookReceiver) -> Iterator[WebhookReceiver]:
    """A local server that webhooks are sent to, emptied for this test."""
    webhook_receiver.reset()
    yield webhook_receiver
    webhook_receiver.reset()


@pytest.fixture(scope="session")
def fake_action_network() -> Iterator[FakeActionNetwork]:
    with FakeActionNetwork() as fake:
        yield fake


@pytest.fixture
def action_network(fake_action_network: FakeActionNetwork) -> Iterator[FakeActionNetwork]:
    """The fake Action Network, emptied for this test; the app needs its key and URL set."""
    fake_action_network.reset()
    yield fake_action_network
    fake_action_network.reset()


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
    organization.write_text(text_.replace("help@example.org", LIVE_CONTACT), "utf-8")
    return str(folder)


@pytest.fixture
def settings(database_url: str, twilio: FakeTwilio, live_campaigns: str) -> dict[str, Any]:
    """The settings a test app runs with; a test may change them before asking for ``app``.

    A real database, Redis and Twilio (even a fake one) mean production rules, which insist on
    a strong key and an organization with a real support contact.
    """
    return {
        "CAMPAIGNS_DIR": live_campaigns,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "TWILIO_ACCOUNT_SID": twilio.account_sid,
        "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_PHONE_NUMBER": BOT_NUMBER,
        "TWILIO_API_BASE_URL": twilio.base_url,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "SECRET_KEY": SECRET_KEY,
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
def embedded(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app on the embedded default (SQLite, in-process Redis, console sender), migrated.

    Only there does the bot keep its development conveniences, such as the phone simulator.
    """
    for name in ("BOT_ENV", "DATABASE_URL", "REDIS_URL", "TWILIO_ACCOUNT_SID", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    url = f"sqlite:///{tmp_path}/bot.sqlite3"
    upgrade(url)
    app = create_app({"DATABASE_URL": url})
    app.config["TESTING"] = True
    with app.app_context():
        yield app
        services().db.kw["bind"].dispose()
        services().redis.close()


@pytest.fixture
def app_with(app: Flask) -> Iterator[Callable[[dict[str, Any]], Flask]]:
    """Build apps with other settings; asking for ``app`` empties the database and Redis."""
    made: list[Flask] = []

    def make(config: dict[str, Any]) -> Flask:
        made.append(create_app(config))
        made[-1].config["TESTING"] = True
        return made[-1]

    yield make
    for each in made:
        with each.app_context():
            services().db.kw["bind"].dispose()
            services().redis.close()


@pytest.fixture
def site(app_with: Callable[[dict[str, Any]], Flask], settings: dict[str, Any]) -> Flask:
    """The app, serving each request in an app context of its own, as a web server does.

    Use it for tests with several logged-in clients. (The ``app`` fixture keeps one context
    open for the whole test, and with it Flask's ``g``, which Flask-Login and Flask-WTF use to
    remember the user and the CSRF token for a request: a second client would see the first
    one's.)
    """
    return app_with(settings)


@pytest.fixture
def atlanta_rally(runner: FlaskCliRunner) -> str:
    """An event of the campaign: the Atlanta rally, keyword FACESATL; its slug."""
    created = runner.invoke(
        args=["events", "create", "atlanta-rally", "--campaign", "doj-face-recognition",
              "--keyword", "FACESATL", "--name", "the Atlanta rally"]
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    return "atlanta-rally"


@pytest.fixture
def svc(app: Flask) -> Services:
    return services()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def phone(client: FlaskClient, twilio: FakeTwilio) -> Phone:
    """Jane's phone, in Atlanta."""
    return Phone(client, twilio, "+14045550123")


@pytest.fixture
def run_integrations(svc: Services, run_jobs: Any) -> Any:
    """Do what the worker's sweep and then its jobs do: hand new events on, send what is due."""
    from bot.integrations.pump import pump

    def run() -> None:
        pump(svc)
        run_jobs()

    return run


@pytest.fixture
def later(svc: Services) -> Any:
    """Move the app's clock on by some seconds, as if that time had passed."""
    from datetime import timedelta

    def move(seconds: float) -> None:
        now = svc.clock()
        svc.clock = lambda: now + timedelta(seconds=seconds)

    return move


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
