"""Every stored time is an aware UTC moment, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    Table,
    create_engine,
    insert,
    select,
    update,
)
from sqlalchemy.exc import StatementError

from store.types import NaiveDatetimeError, UTCDateTime

LOS_ANGELES = ZoneInfo("America/Los_Angeles")
metadata = MetaData()
moments = Table(
    "utc_datetime_moments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime),
)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/moments.sqlite3"
    else:
        url = request.getfixturevalue("database_url")
    engine = create_engine(url)
    metadata.create_all(engine)
    yield engine
    metadata.drop_all(engine)
    engine.dispose()


def store_and_read(engine: Engine, moment: datetime | None) -> datetime | None:
    with engine.begin() as connection:
        row_id = connection.execute(insert(moments).values(at=moment)).inserted_primary_key[0]
        return connection.scalar(select(moments.c.at).where(moments.c.id == row_id))


def test_a_time_in_another_zone_comes_back_as_the_same_instant_in_utc(engine: Engine) -> None:
    # 10:20 in Los Angeles is 18:20 UTC; SQLite alone would have kept "10:20" and called it UTC.
    ten_twenty = datetime(2026, 12, 5, 10, 20, tzinfo=LOS_ANGELES)
    found = store_and_read(engine, ten_twenty)
    assert found == ten_twenty
    assert found is not None and found.tzinfo is UTC and found.hour == 18


def test_it_compares_stored_times_as_instants(engine: Engine) -> None:
    store_and_read(engine, datetime(2026, 12, 5, 10, 20, tzinfo=LOS_ANGELES))  # 18:20 UTC
    cutoff = datetime(2026, 12, 5, 17, 0, tzinfo=UTC)
    with engine.connect() as connection:
        later = connection.scalars(select(moments.c.at).where(moments.c.at > cutoff)).all()
    assert len(later) == 1


def test_no_time_is_stored_as_none(engine: Engine) -> None:
    assert store_and_read(engine, None) is None


def test_a_naive_time_fails_loudly_before_it_reaches_the_database(engine: Engine) -> None:
    with pytest.raises(StatementError) as raised:
        store_and_read(engine, datetime(2026, 12, 5, 10, 20))
    assert isinstance(raised.value.orig, NaiveDatetimeError)
    with engine.connect() as connection:
        assert connection.scalars(select(moments.c.id)).all() == []


# SQLite has no interval arithmetic; PostgreSQL, where such SQL runs, has.
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_stored_time_moved_by_an_interval_in_sql_is_the_earlier_instant(engine: Engine) -> None:
    noon = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    store_and_read(engine, noon)
    with engine.begin() as connection:
        connection.execute(update(moments).values(at=moments.c.at - timedelta(hours=2)))
        assert connection.scalar(select(moments.c.at)) == noon - timedelta(hours=2)
