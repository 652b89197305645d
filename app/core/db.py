"""The database: declarative Base, one engine per app, one session per request.

SQLite (the embedded default) runs in WAL mode with foreign keys on and a busy timeout. Write
transactions there start with ``BEGIN IMMEDIATE`` so that two writers queue for the lock instead
of one failing half-way; requests with a safe method (GET, HEAD, OPTIONS) read with a plain
``BEGIN``. That also makes SAVEPOINT-based test isolation work on pysqlite.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeAlias

from flask import Flask, g, has_request_context, request
from sqlalchemy import (
    ColumnElement,
    DateTime,
    Engine,
    Enum,
    Executable,
    MetaData,
    Row,
    create_engine,
    event,
    false,
    literal,
)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: What a service takes as its session: ``db.session`` (the request's scoped session, which
#: hands every call on to the session of the current context) or a plain ``Session`` (a test,
#: a job, an event listener).
DbSession: TypeAlias = Session | scoped_session[Session]


def rows(
    session: DbSession, statement: Executable, params: Mapping[str, Any] | None = None
) -> Sequence[Row[Any]]:
    """The rows of a statement that selects plain columns, not entities, run on the session's
    connection: the ORM's execution (its compile state, its loading of rows) is skipped, a
    third to a half of a small statement's time. Pending changes are flushed first, as the
    session's own ``execute`` does."""
    session.flush()
    return session.connection().execute(statement, params or {}).all()


def one_of(column: Any, values: Collection[Any]) -> ColumnElement[bool]:
    """``column IN (values)`` with a plain bound parameter for each value, or a clause that
    matches nothing for no values. For a statement built once with a short fixed list: ``in_``
    given the list itself makes one expanding parameter, which is written out again on every
    run of the statement."""
    if not values:
        return false()
    return column.in_([literal(value, column.type) for value in values])  # type: ignore[no-any-return]


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always returned timezone-aware.

    SQLite keeps no zone, so values are normalised to UTC on the way in and marked UTC on the
    way out; PostgreSQL stores ``timestamptz``. Naive datetimes are refused: they are a bug.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum_cls: type[enum.Enum]) -> Enum:
    """A portable enum column: a short string, no database-native type to migrate."""
    return Enum(
        enum_cls,
        native_enum=False,
        length=20,
        values_callable=lambda e: [m.value for m in e],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Database:
    """Holds the engine and the request-scoped session of one application."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.session: scoped_session[Session] = scoped_session(sessionmaker(expire_on_commit=False))

    def init_app(self, app: Flask) -> None:
        url = app.config["DATABASE_URL"]
        # One engine per database: a second app on the same database (tests, the job worker
        # inside the web process) shares the pool instead of replacing it.
        if self.engine is None or self.engine.url.render_as_string(hide_password=False) != url:
            self.engine = make_engine(url, app.config["SQLITE_BUSY_TIMEOUT_MS"])
            self.session.configure(bind=self.engine)
        app.teardown_appcontext(self._remove_session)

    def _remove_session(self, exc: BaseException | None) -> None:
        # Anything not committed by the view is rolled back here.
        self.session.remove()

    def write_from_here(self) -> None:
        """Say that this request, though a GET, writes from here on (a playback start writes
        its audit event): the read transaction so far ends, and the next begins as a write
        (``BEGIN IMMEDIATE`` on SQLite), queueing for the lock. A read transaction that
        turns into a write fails at once on SQLite when another writer committed meanwhile:
        two videos of a pair starting together did. Raises nothing beyond database errors."""
        if has_request_context():
            g.beeldbrug_writes = True
        self.session.commit()


def _wants_write_lock() -> bool:
    if not has_request_context():
        return True
    return request.method not in SAFE_METHODS or bool(g.get("beeldbrug_writes"))


def make_engine(url: str, busy_timeout_ms: int = 5000) -> Engine:
    """Create an engine for ``url``; SQLite gets WAL, foreign keys, busy timeout and BEGIN fix."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, future=True)

    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
        future=True,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide where transactions begin (the pysqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        if parsed.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write_lock() else "BEGIN")

    return engine


db = Database()
