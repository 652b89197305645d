"""The embedded database: SQLite in WAL mode, foreign keys on, a busy timeout."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import OperationalError

from app.circle.models import Child
from app.core.db import db, make_engine, one_of, rows


def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}", busy_timeout_ms=4321)
    with engine.connect() as conn:
        assert conn.scalar(text("PRAGMA journal_mode")) == "wal"
        assert conn.scalar(text("PRAGMA foreign_keys")) == 1
        assert conn.scalar(text("PRAGMA busy_timeout")) == 4321
    engine.dispose()


def test_naive_datetimes_are_refused(app):
    from datetime import datetime

    from app.core.db import UTCDateTime

    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2026, 1, 1), None)


def test_a_get_that_writes_takes_the_write_lock_before_it_reads(app, tmp_path):
    """A GET reads with a plain BEGIN; when it then writes after another writer committed,
    SQLite refuses at once ("database is locked"), whatever the busy timeout. A GET that
    says it writes (``db.write_from_here``, a playback start) begins its next transaction
    with the write lock instead, and queues."""
    url = f"sqlite:///{tmp_path / 'y.db'}"
    mine, other = make_engine(url, busy_timeout_ms=200), make_engine(url, busy_timeout_ms=200)
    with other.begin() as conn:
        conn.execute(text("CREATE TABLE plays (n INTEGER)"))
    with app.test_request_context(method="GET"):
        with mine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM plays"))
            with other.begin() as first:
                first.execute(text("INSERT INTO plays VALUES (1)"))
            with pytest.raises(OperationalError, match="locked"):
                conn.execute(text("INSERT INTO plays VALUES (2)"))
        db.write_from_here()
        with mine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM plays"))
            conn.execute(text("INSERT INTO plays VALUES (2)"))
            conn.commit()
        with other.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM plays")) == 2
    mine.dispose()
    other.dispose()


def test_rows_of_plain_columns_see_what_the_session_has_pending(app_ctx, circle):
    """``rows`` runs on the session's connection, skipping the ORM's execution, and sees a
    change made in the session but not yet flushed, as the session's own execute does."""
    names = select(Child.id, Child.name).where(Child.id == bindparam("child"))
    circle.child.name = "Noor de Vries"  # pending, not flushed
    found = rows(db.session, names, {"child": circle.child.id})
    assert [(r.id, r.name) for r in found] == [(circle.child.id, "Noor de Vries")]
    assert rows(db.session, names, {"child": circle.child.id + 1000}) == []


def test_one_of_matches_the_listed_values_with_a_parameter_each(app_ctx, circle, make_child):
    """``one_of`` is ``IN`` over plain bound parameters: the same rows as ``in_``, written
    once with its statement (no expanding parameter to write out on every run), and a
    clause that matches nothing for no values."""
    other = make_child(name="Sem")
    ids = [circle.child.id, other.id]
    stmt = select(Child.id).where(one_of(Child.id, ids)).order_by(Child.id)
    assert "POSTCOMPILE" not in str(stmt.compile())
    assert "POSTCOMPILE" in str(select(Child.id).where(Child.id.in_(ids)).compile())
    assert [r.id for r in rows(db.session, stmt)] == sorted(ids)
    assert rows(db.session, select(Child.id).where(one_of(Child.id, [other.id]))) == [(other.id,)]
    assert rows(db.session, select(Child.id).where(one_of(Child.id, []))) == []
