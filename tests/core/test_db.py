"""The embedded database: SQLite in WAL mode, foreign keys on, a busy timeout."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.core.db import make_engine


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
