"""The organization's clock: times shown in its zone, and times typed in it read as UTC.

Everything is stored and exported in UTC; only the dashboard's edges speak local time, in the
one zone ``ORGANIZATION_TIMEZONE`` names, so an organizer never converts in their head.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Flask

from bot.services import services


def zone() -> ZoneInfo:
    """The organization's time zone."""
    return ZoneInfo(services().settings.organization_timezone)


def shown(moment: datetime | str | None) -> str:
    """A stored time in the organization's zone, for a person: 2026-05-01 18:00 EDT."""
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:  # SQLite hands back naive datetimes; every stored time is UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone()).strftime("%Y-%m-%d %H:%M %Z")


def read(typed: str) -> datetime:
    """A date and time typed in the organization's zone (2026-05-01T18:00), as aware UTC."""
    naive = datetime.fromisoformat(typed.strip())
    if naive.tzinfo is not None:
        return naive.astimezone(UTC)
    return naive.replace(tzinfo=zone()).astimezone(UTC)


def init_app(app: Flask) -> None:
    app.add_template_filter(shown, "local_time")

    @app.context_processor
    def organization_zone() -> dict[str, ZoneInfo]:
        return {"organization_zone": zone()}
