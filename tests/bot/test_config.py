"""Settings: defaults, then the environment, then overrides; production refuses to guess."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import Phone

from bot import create_app
from bot.config import ConfigError, Settings, load_settings
from bot.services import services

INSTANCE = "/srv/petition-bot/instance"
PRODUCTION = {
    "BOT_ENV": "production",
    "DATABASE_URL": "postgresql+psycopg://bot@db.internal/bot",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "a-real-auth-token",
    "TWILIO_PHONE_NUMBER": "+14045550100",
    "PUBLIC_BASE_URL": "https://bot.example.org",
    "SECRET_KEY": "a-real-secret-of-32-characters-or-more",
}
# A real database or Redis means production rules, which need a long secret key.
KEY = {"SECRET_KEY": PRODUCTION["SECRET_KEY"]}


def load(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    return load_settings(environ or {}, overrides, instance_path=INSTANCE)


def test_with_no_settings_it_runs_in_development_on_sqlite_and_an_embedded_redis() -> None:
    settings = load()
    assert settings.bot_env == "development" and not settings.production
    assert settings.database_url == f"sqlite:///{Path(INSTANCE) / 'petition-bot.sqlite3'}"
    assert settings.redis_url == "" and settings.embedded_redis
    assert not settings.uses_twilio
    assert settings.secret_key  # a development key, so sessions still work


def test_it_reads_the_environment() -> None:
    settings = load(
        {
            "REDIS_URL": "redis://localhost:6379/3",
            "PUBLIC_BASE_URL": "https://texts.example.org",
            "JOB_TIMEOUT": "45",
        }
        | KEY
    )
    assert settings.redis_url == "redis://localhost:6379/3" and not settings.embedded_redis
    assert settings.public_base_url == "https://texts.example.org"
    assert settings.job_timeout == 45


def test_overrides_win_over_the_environment() -> None:
    settings = load(
        {"REDIS_URL": "redis://from-the-environment/0", "JOB_TIMEOUT": "45"} | KEY,
        REDIS_URL="redis://from-the-override/0",
        JOB_TIMEOUT=10,
    )
    assert settings.redis_url == "redis://from-the-override/0"
    assert settings.job_timeout == 10


def test_it_ignores_environment_variables_it_does_not_know() -> None:
    assert load({"HOME": "/root", "PATH": "/usr/bin"}) == load()


@pytest.mark.parametrize(
    "given",
    [
        "postgres://bot:pw@db.example.org:5432/bot",
        "postgresql://bot:pw@db.example.org:5432/bot",
        "postgresql+psycopg://bot:pw@db.example.org:5432/bot",
    ],
)
def test_a_hosting_platforms_postgres_url_names_the_psycopg_driver(given: str) -> None:
    settings = load({"DATABASE_URL": given} | KEY)
    assert settings.database_url == "postgresql+psycopg://bot:pw@db.example.org:5432/bot"


def test_production_without_secrets_names_every_missing_setting() -> None:
    with pytest.raises(ConfigError) as raised:
        load(BOT_ENV="production")
    message = str(raised.value)
    for name in (
        "DATABASE_URL",
        "REDIS_URL",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "PUBLIC_BASE_URL",
        "SECRET_KEY",
        "TWILIO_PHONE_NUMBER or TWILIO_MESSAGING_SERVICE_SID",
    ):
        assert name in message


def test_production_names_only_what_is_missing() -> None:
    environ = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    with pytest.raises(ConfigError, match="SECRET_KEY") as raised:
        load(environ)
    assert "DATABASE_URL" not in str(raised.value)


def test_production_with_every_secret_set_loads() -> None:
    settings = load(PRODUCTION)
    assert settings.production and settings.uses_twilio
    assert settings.secret_key == "a-real-secret-of-32-characters-or-more"


def test_production_accepts_a_messaging_service_as_the_sender() -> None:
    environ = {k: v for k, v in PRODUCTION.items() if k != "TWILIO_PHONE_NUMBER"}
    settings = load(environ, TWILIO_MESSAGING_SERVICE_SID="MG" + "2" * 32)
    assert settings.twilio_messaging_service_sid.startswith("MG")


def test_a_job_timeout_that_is_not_a_number_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="JOB_TIMEOUT must be a whole number, not 'soon'"):
        load({"JOB_TIMEOUT": "soon"})


def test_a_worker_runs_at_normal_priority_when_asked_and_no_lower_than_linux_allows() -> None:
    assert load({}).worker_niceness == 10
    assert load({"WORKER_NICENESS": "0"}).worker_niceness == 0
    with pytest.raises(ConfigError, match="WORKER_NICENESS must be from 0 to 19, not 20"):
        load({"WORKER_NICENESS": "20"})


def test_texts_are_kept_at_least_the_month_the_frequency_cap_counts() -> None:
    assert load({}).message_retention_days == 365
    assert load({"MESSAGE_RETENTION_DAYS": "31"}).message_retention_days == 31
    with pytest.raises(ConfigError, match="MESSAGE_RETENTION_DAYS must be at least 31"):
        load({"MESSAGE_RETENTION_DAYS": "30"})


def test_an_unknown_environment_is_refused() -> None:
    with pytest.raises(ConfigError, match="BOT_ENV must be development or production"):
        load({"BOT_ENV": "staging"})


def test_a_twilio_account_without_a_sender_is_refused() -> None:
    with pytest.raises(ConfigError, match="TWILIO_PHONE_NUMBER or TWILIO_MESSAGING_SERVICE_SID"):
        load({"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "token"})


def test_a_twilio_account_without_its_auth_token_is_refused() -> None:
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN"):
        load({"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_PHONE_NUMBER": "+14045550100"})


def test_the_app_refuses_to_start_in_production_without_secrets() -> None:
    with pytest.raises(ConfigError, match="production mode needs"):
        create_app({"BOT_ENV": "production"})


@pytest.fixture
def production_app(settings: dict[str, Any], app: Any, live_campaigns: str) -> Any:
    # Asking for ``app`` too gives this one an empty database and Redis, and cleans up after.
    production = create_app({**settings, "BOT_ENV": "production", "CAMPAIGNS_DIR": live_campaigns})
    yield production
    with production.app_context():
        services().db.kw["bind"].dispose()
        services().redis.close()


def test_production_has_no_simulator(production_app) -> None:
    client = production_app.test_client()
    assert client.get("/simulator/").status_code == 404
    assert client.get("/").headers["Location"].startswith("/login")


def test_production_still_requires_twilios_signature(production_app, twilio) -> None:
    client = production_app.test_client()
    unsigned = {"MessageSid": "SM" + "1" * 32, "From": "+14045550123", "Body": "FACES"}
    assert client.post("/sms", data=unsigned).status_code == 403
    # The same route answers a text Twilio really signed.
    assert Phone(client, twilio, "+14045550123").text("FACES")


def test_the_organizations_time_zone_is_new_york_unless_set_and_must_exist() -> None:
    assert load({}).organization_timezone == "America/New_York"
    assert load({"ORGANIZATION_TIMEZONE": "America/Chicago"}).organization_timezone == (
        "America/Chicago"
    )
    for wrong in ("Mars/Olympus", "EST5EDT/../x"):
        with pytest.raises(ConfigError, match="ORGANIZATION_TIMEZONE must be a time zone"):
            load({"ORGANIZATION_TIMEZONE": wrong})
