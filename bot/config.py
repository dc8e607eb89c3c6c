"""Every setting in one place: defaults, then the environment, then explicit overrides."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse_many

from bot.lib.quiet_hours import parse_window

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_PATH = PROJECT_ROOT / "instance"  # Flask's instance folder for the app ``bot``
TWILIO_API = "https://api.twilio.com"
ACTION_NETWORK_API = "https://actionnetwork.org/api/v2"
DEVELOPMENT_AUTH_TOKEN = "development-auth-token"  # lets the simulator sign its own webhooks
DEVELOPMENT_SECRET_KEY = "development-secret-key"
MIN_SECRET_KEY = 32  # characters: a session cookie signed with less can be forged offline
# Keys that appear in examples, tutorials and this project's own history: public, so forgeable.
KNOWN_SECRET_KEYS = frozenset(
    {DEVELOPMENT_SECRET_KEY, "test-secret", "bench-secret", "secret", "dev", "development"}
)
THIS_MACHINE = frozenset({"localhost", "127.0.0.1", "::1"})


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
    # The zone the dashboard shows times in and reads a scheduled time in; storage stays UTC.
    organization_timezone: str = "America/New_York"
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
    trusted_proxies: int = 0  # proxies in front that set X-Forwarded-For (a platform's router: 1)
    signups_per_hour: int = 30  # sign-up texts one field account may start in an hour
    public_requests_per_minute: int = 60  # per address, on the pages anyone may open
    # Days conversation texts are kept (``flask retention``); consent records are kept for good.
    message_retention_days: int = 365

    @property
    def production(self) -> bool:
        """Whether production rules apply: asked for, or the bot reaches anything real.

        The development conveniences (the simulator, a default secret, a known auth token) are
        only safe on the embedded default, where nothing but this machine is involved.
        """
        return self.bot_env == "production" or not self.embedded

    @property
    def embedded(self) -> bool:
        """SQLite, the in-process Redis and no Twilio account: nothing real is reachable."""
        on_sqlite = not self.database_url or self.database_url.startswith("sqlite")
        return on_sqlite and self.embedded_redis and not self.uses_twilio

    @property
    def embedded_redis(self) -> bool:
        return not self.redis_url

    @property
    def uses_twilio(self) -> bool:
        return bool(self.twilio_account_sid)


# A grace period may be none at all, and a worker may keep the web's priority; a timeout, an
# interval or a lifetime may not.
_MAY_BE_ZERO = {"RECOVERY_GRACE", "WORKER_NICENESS", "TRUSTED_PROXIES"}
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
    if settings.bot_env == "production":
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
        ZoneInfo(settings.organization_timezone)
    except (ValueError, ZoneInfoNotFoundError):
        raise ConfigError(
            f"ORGANIZATION_TIMEZONE must be a time zone like America/New_York, "
            f"not {settings.organization_timezone!r}"
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
    if settings.production:
        _check_production_rules(settings)


def _check_production_rules(settings: Settings) -> None:
    why = "" if settings.bot_env == "production" else _reached(settings)
    key = settings.secret_key
    if key.lower() in KNOWN_SECRET_KEYS or key.lower().startswith("changeme"):
        raise ConfigError(f"SECRET_KEY is a published example{why}: make a random one")
    if len(key) < MIN_SECRET_KEY:
        raise ConfigError(
            f"SECRET_KEY must be at least {MIN_SECRET_KEY} random characters{why}"
            + (f", not {len(key)}" if key else "")
        )
    url = urlsplit(settings.public_base_url)
    if url.scheme != "https" and url.hostname not in THIS_MACHINE:
        raise ConfigError(
            f"PUBLIC_BASE_URL must start with https://{why}, not {settings.public_base_url!r}"
        )


def _reached(settings: Settings) -> str:
    # Name what made these production rules, for someone who never set BOT_ENV.
    reached = [
        name
        for name, value in (
            (
                "DATABASE_URL",
                settings.database_url and not settings.database_url.startswith("sqlite"),
            ),
            ("REDIS_URL", settings.redis_url),
            ("TWILIO_ACCOUNT_SID", settings.twilio_account_sid),
        )
        if value
    ]
    verb = "is" if len(reached) == 1 else "are"
    return f" (production rules: {' and '.join(reached)} {verb} set)"


def _with_development_defaults(settings: Settings, instance_path: str) -> Settings:
    database_url = (
        settings.database_url or f"sqlite:///{Path(instance_path) / 'petition-bot.sqlite3'}"
    )
    changes: dict[str, Any] = {"database_url": _sqlalchemy_url(database_url)}
    if not settings.production:
        # Known values, harmless while nothing real is reachable. Under production rules there
        # is none: without a real auth token no webhook is signed (see webhook_auth).
        changes["secret_key"] = settings.secret_key or DEVELOPMENT_SECRET_KEY
        changes["twilio_auth_token"] = settings.twilio_auth_token or DEVELOPMENT_AUTH_TOKEN
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
    # fontTools logs each table it subsets at INFO: some fifty lines for every PDF made.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
