"""Migrations: one head, every step up, down and up again, and the models equal the schema.

Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set (SECURITY H.32).
"""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from app.cli import alembic_config
from app.core.db import Base, make_engine

from .conftest import fresh_database_url


@pytest.fixture
def empty_database(tmp_path_factory) -> str:
    return fresh_database_url(tmp_path_factory, "migrations")


def revisions_in_order() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions("base", "heads")))]


def schema_diff(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_there_is_one_head():
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1


def test_every_revision_goes_up_down_and_up_again(empty_database):
    cfg = alembic_config(empty_database)
    for revision in revisions_in_order():
        command.upgrade(cfg, revision)
        command.downgrade(cfg, "-1")
        command.upgrade(cfg, revision)
    command.downgrade(cfg, "base")
    assert tables(empty_database) == set()


def test_models_equal_the_migrated_schema(empty_database):
    command.upgrade(alembic_config(empty_database), "head")
    assert schema_diff(empty_database) == []
    assert tables(empty_database) == set(Base.metadata.tables)
