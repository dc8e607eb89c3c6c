"""The migrations build exactly the models' schema, and run down and up again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from bot.database import alembic_config
from store.models import Base


def differences(url: str) -> list[object]:
    """What autogenerate would write to bring the database at ``url`` to the models."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def head() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


@pytest.fixture
def scratch_database(database_url: str) -> Iterator[str]:
    """An empty PostgreSQL database of its own, dropped at the end."""
    url = make_url(database_url)
    # Named after the test database, so runs against different test databases never collide.
    scratch = f"{url.database}_migrations"
    if url.get_backend_name() != "postgresql":
        pytest.skip("needs PostgreSQL")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{scratch}"'))
    try:
        yield url.set(database=scratch).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        admin.dispose()


def test_the_migrated_test_database_matches_the_models_exactly(database_url: str) -> None:
    assert revision(database_url) == head()
    assert differences(database_url) == []


def test_the_migrations_go_down_to_nothing_and_up_again(scratch_database: str) -> None:
    config = alembic_config(scratch_database)
    command.upgrade(config, "head")
    assert tables(scratch_database) == set(Base.metadata.tables)
    command.downgrade(config, "base")
    assert tables(scratch_database) == set()
    assert revision(scratch_database) is None
    command.upgrade(config, "head")
    assert revision(scratch_database) == head()
    assert differences(scratch_database) == []


def test_each_migration_can_be_undone_one_step_at_a_time(scratch_database: str) -> None:
    config = alembic_config(scratch_database)
    command.upgrade(config, "head")
    steps = list(ScriptDirectory.from_config(config).walk_revisions())
    for _ in steps:
        command.downgrade(config, "-1")
    assert revision(scratch_database) is None
    command.upgrade(config, "head")
    assert differences(scratch_database) == []


def test_the_same_migrations_build_a_fresh_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    config = alembic_config(url)
    command.upgrade(config, "head")
    assert revision(url) == head()
    assert tables(url) == set(Base.metadata.tables)
    command.downgrade(config, "base")
    assert tables(url) == set()
    command.upgrade(config, "head")
    assert tables(url) == set(Base.metadata.tables)
