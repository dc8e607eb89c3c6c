"""Every setting in one place: defaults, then the environment, then explicit overrides."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from limits import parse_many

from bot.lib.quiet_hours import parse_window

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_PATH = PROJECT_ROOT / "instance"  # Flask's instance folder for the app ``bot``
TWILIO_API = "https://api.twilio.com"
ACTION_NETWORK_API = "https://actionnetwork.org/api/v2"
DEVELOPMENT_AUTH_TOKEN = "development-auth-token"  # lets the simulator sign its own webhooks


class ConfigError(RuntimeError):
    """A setting is missing or malformed; raised at startup, never later."""


@dataclass(frozen=True)
class Settings:
    """The bot's settings. The README's table lists the same names."""

    bot_env: str = "development"
    database_url: str = ""  # empty: an SQLite file in the instance folder
    redis_url: str = ""  # empty: an in-process Redis, jobs run in-process
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_phone_number: str = ""
    twilio_messaging_service_sid: str = ""
    twilio_whatsapp_number: str = ""  # empty: the TWILIO_PHONE_NUMBER
    twilio_api_base_url: str = TWILIO_API
    public_base_url: str = "http://localhost:5000"
    secret_key: str = ""
    campaigns_dir: str = str(PROJECT_ROOT / "campaigns")
    stop_replies_by: str = "bot"  # or "twilio", when Advanced Opt-Out answers STOP/START/HELP
    send_window: str = "09:00-20:00"  # recipients' local hours for texts the organization starts
    conversation_ttl: int = 24 * 3600  # seconds a conversation waits for the next answer
    job_timeout: int = 30  # seconds a job may run; one that started longer ago lost its worker
    recovery_interval: int = 30  # seconds between the worker's sweeps for lost jobs
    recovery_grace: int = 60  # seconds before unfinished work counts as lost
    twilio_mps: int = 1  # segments a second the sender may send, shared by every worker
    price_per_segment: float = 0.0079  # USD, for a broadcast's estimated cost
    broadcast_concurrency: int = 64  # sends a worker keeps in flight during a broadcast
    # How much lower a job worker's CPU priority is than the web's: on a shared machine a surge's
    # texts are answered first and confirmations trail. 0 keeps the priority it started with.
    worker_niceness: int = 10
    # Requests one REST API token may make, in the notation of the limits package.
    api_rate_limit: str = "120/minute"
    action_network_api_key: str = ""  # empty: no campaign can be connected to Action Network
    action_network_api_url: str = ACTION_NETWORK_API
    # Days conversation texts are kept (``flask retention``); consent records are kept for good.
    message_retention_days: int = 365

    @property
    def production(self) -> bool:
        return self.bot_env == "production"

    @property
    def embedded_redis(self) -> bool:
        return not self.redis_url

    @property
    def uses_twilio(self) -> bool:
        return bool(self.twilio_account_sid)


# A grace period may be none at all, and a worker may keep the web's priority; a timeout, an
# interval or a lifetime may not.
_MAY_BE_ZERO = {"RECOVERY_GRACE", "WORKER_NICENESS"}
LOWEST_PRIORITY = 19  # the highest niceness Linux gives
# Texts younger than this count against a campaign's messages_per_month: never deleted.
MIN_RETENTION_DAYS = 31

_SECRETS_IN_PRODUCTION = (
    "database_url",
    "redis_url",
    "twilio_account_sid",
    "twilio_auth_token",
    "public_base_url",
    "secret_key",
)


def load_settings(
    environ: Mapping[str, str], overrides: Mapping[str, Any], instance_path: str
) -> Settings:
    """Build settings from the environment and overrides (upper-case names, as in the README)."""
    values: dict[str, Any] = {}
    for field in fields(Settings):
        name = field.name.upper()
        raw = overrides[name] if name in overrides else environ.get(name)
        if raw is None or raw == "":
            continue
        values[field.name] = _coerce(name, raw, field.default)
    settings = Settings(**values)
    _check(settings, explicitly_set=set(values))
    return _with_development_defaults(settings, instance_path)


def _coerce(name: str, raw: Any, default: Any) -> Any:
    if isinstance(default, float):
        try:
            amount = float(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be a number, not {raw!r}") from None
        if not 0 <= amount < float("inf"):
            raise ConfigError(f"{name} must be a number from 0 up, not {raw!r}")
        return amount
    if isinstance(default, int):
        try:
            number = int(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
        lowest = 0 if name in _MAY_BE_ZERO else 1
        if number < lowest:
            raise ConfigError(f"{name} must be a whole number from {lowest} up, not {raw!r}")
        return number
    return str(raw).strip()


def _check(settings: Settings, explicitly_set: set[str]) -> None:
    if settings.bot_env not in ("development", "production"):
        raise ConfigError(f"BOT_ENV must be development or production, not {settings.bot_env!r}")
    if settings.production:
        missing = [n.upper() for n in _SECRETS_IN_PRODUCTION if n not in explicitly_set]
        if not (settings.twilio_phone_number or settings.twilio_messaging_service_sid):
            missing.append("TWILIO_PHONE_NUMBER or TWILIO_MESSAGING_SERVICE_SID")
        if missing:
            raise ConfigError("production mode needs these settings: " + ", ".join(missing))
    if settings.worker_niceness > LOWEST_PRIORITY:
        raise ConfigError(
            f"WORKER_NICENESS must be from 0 to {LOWEST_PRIORITY}, not {settings.worker_niceness}"
        )
    if settings.message_retention_days < MIN_RETENTION_DAYS:
        raise ConfigError(
            f"MESSAGE_RETENTION_DAYS must be at least {MIN_RETENTION_DAYS}: a month's texts count "
            "against each campaign's messages_per_month"
        )
    if settings.stop_replies_by not in ("bot", "twilio"):
        raise ConfigError(
            f"STOP_REPLIES_BY must be bot or twilio, not {settings.stop_replies_by!r}"
        )
    try:
        parse_many(settings.api_rate_limit)
    except ValueError:
        raise ConfigError(
            f"API_RATE_LIMIT must be like 120/minute, not {settings.api_rate_limit!r}"
        ) from None
    try:
        parse_window(settings.send_window)
    except ValueError as error:
        raise ConfigError(f"SEND_WINDOW: {error}") from None
    if settings.uses_twilio and not settings.twilio_auth_token:
        raise ConfigError("TWILIO_ACCOUNT_SID is set but TWILIO_AUTH_TOKEN is not")
    if settings.uses_twilio and not (
        settings.twilio_phone_number or settings.twilio_messaging_service_sid
    ):
        raise ConfigError("set TWILIO_PHONE_NUMBER or TWILIO_MESSAGING_SERVICE_SID to send texts")


def _with_development_defaults(settings: Settings, instance_path: str) -> Settings:
    changes: dict[str, Any] = {}
    if not settings.database_url:
        changes["database_url"] = f"sqlite:///{Path(instance_path) / 'petition-bot.sqlite3'}"
    if not settings.secret_key:
        changes["secret_key"] = "development-secret-key"
    if not settings.twilio_auth_token:
        changes["twilio_auth_token"] = DEVELOPMENT_AUTH_TOKEN
    changes["database_url"] = _sqlalchemy_url(changes.get("database_url", settings.database_url))
    return replace(settings, **changes)


def _sqlalchemy_url(url: str) -> str:
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy needs the driver named.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def configure_logging() -> None:
    """Log at INFO to standard error, as the web app and the worker both do."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # The twilio client logs every request's headers at INFO: a dozen lines per text sent.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
