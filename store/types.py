"""Column types the models share: one for every stored time, UTC on every database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class NaiveDatetimeError(ValueError):
    """A time without a zone reached the database: nobody can tell which instant it means."""


class UTCDateTime(TypeDecorator[datetime]):
    """A moment, stored as UTC and always read back timezone-aware.

    PostgreSQL keeps the zone; SQLite keeps the wall-clock digits alone and drops any offset,
    so a 10:20 in Los Angeles would come back as 10:20 UTC. Converting to UTC on the way in
    and labelling UTC on the way out makes both databases hand back the same instant.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"a stored time must be a datetime, not {value!r}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise NaiveDatetimeError(
                f"{value.isoformat()} has no time zone; store an aware UTC datetime"
            )
        return value.astimezone(UTC)

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        # A stored time moved by an interval in SQL (``signed_at - timedelta(days=2)``) binds
        # the interval as an interval, as a plain DateTime column does; times bind as times.
        if isinstance(value, timedelta):
            return self.impl_instance.coerce_compared_value(op, value)
        return self

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite: the digits are UTC, as written above
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
