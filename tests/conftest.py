"""Shared fixtures: the app on a migrated database, rollback per test, a real SMTP server.

The database is SQLite in a temporary folder, or PostgreSQL when ``TEST_DATABASE_URL`` is set.
Every test runs inside a transaction that is rolled back afterwards, even when the code under
test commits (SAVEPOINTs, with the pysqlite BEGIN fix that ``app.core.db`` installs).

``BEELDBRUG_TEST_NOW=2026-12-01T09:00:00+01:00`` moves the clock of the whole session to that
instant (it keeps ticking), so that a test that silently depends on today's date shows itself.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from alembic import command
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.circle.models import Child, Membership, Role, School, User
from app.cli import alembic_config
from app.core.db import db
from app.extensions import limiter
from config import TestConfig
from tests.support.infra import PASSWORD, Mailbox, free_port, fresh_database_url

# Videos and ready clips, for any test that needs footage.
pytest_plugins = ["tests.support.clip_fixtures"]


# --- the clock -------------------------------------------------------------------------------

_moved_clock: list[Any] = []


def pytest_configure(config: pytest.Config) -> None:
    """Start the session at ``BEELDBRUG_TEST_NOW`` (an ISO 8601 instant with offset), if set."""
    now = os.environ.get("BEELDBRUG_TEST_NOW")
    if now and not _moved_clock:
        moment = datetime.fromisoformat(now)
        if moment.tzinfo is None:
            raise pytest.UsageError("BEELDBRUG_TEST_NOW needs an offset, e.g. +01:00")
        traveller = time_machine.travel(moment, tick=True)
        traveller.start()
        _moved_clock.append(traveller)


def pytest_unconfigure(config: pytest.Config) -> None:
    while _moved_clock:
        _moved_clock.pop().stop()


def pytest_report_header(config: pytest.Config) -> str | None:
    now = os.environ.get("BEELDBRUG_TEST_NOW")
    return f"clock moved to {now} (BEELDBRUG_TEST_NOW)" if now else None


# --- database --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return fresh_database_url(tmp_path_factory, "main")


# --- mail ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Controller, Mailbox]]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, mailbox
    controller.stop()


@pytest.fixture
def mailbox(smtp_server: tuple[Controller, Mailbox]) -> Mailbox:
    return smtp_server[1]


# --- the app ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def app(
    database_url: str, smtp_server: tuple[Controller, Mailbox], tmp_path_factory
) -> Iterator[Flask]:
    controller, _ = smtp_server
    command.upgrade(alembic_config(database_url), "head")
    application = create_app(
        TestConfig,
        DATABASE_URL=database_url,
        MAIL_BACKEND="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=controller.port,
        MEDIA_ROOT=tmp_path_factory.mktemp("media"),
        SIGNING_DIR=tmp_path_factory.mktemp("signing"),
    )
    yield application
    db.session.remove()
    if db.engine is not None:
        db.engine.dispose()


@pytest.fixture
def db_connection(app: Flask, mailbox: Mailbox) -> Iterator[Any]:
    """The connection every session of this test uses, inside a transaction rolled back after.

    Code under test may commit: its commits release SAVEPOINTs inside this transaction.
    """
    mailbox.clear()
    with app.app_context():
        limiter.reset()
    db.session.remove()
    connection = db.engine.connect()  # type: ignore[union-attr]
    outer = connection.begin()
    db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield connection
    finally:
        db.session.remove()
        outer.rollback()
        connection.close()
        db.session.configure(bind=db.engine)


@pytest.fixture(autouse=True)
def _transaction(request: pytest.FixtureRequest) -> None:
    """Roll back everything a test did, commits included (any test that uses the app)."""
    if "app" in request.fixturenames and not request.node.get_closest_marker("e2e"):
        request.getfixturevalue("db_connection")


@pytest.fixture(autouse=True)
def _config_restored(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test that changes the shared app's settings without undoing it afterwards.

    A value set with ``app.config[...] = ...`` outlives the test and quietly changes the ones
    after it; ``monkeypatch.setitem(app.config, ...)`` is undone before this check runs.
    """
    if "app" not in request.fixturenames:
        yield
        return
    config = request.getfixturevalue("app").config
    before = dict(config)
    yield
    changed = sorted(k for k in before.keys() | config.keys() if before.get(k) != config.get(k))
    config.update(before)
    assert not changed, f"settings changed without monkeypatch: {changed}"


@pytest.fixture
def production_app(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The app as production builds it (HTTPS-only cookies, HSTS, CSRF on), on the test database."""
    from config import ProductionConfig

    class Production(ProductionConfig):
        SECRET_KEY = "production-like-secret-for-tests-0123456789"  # noqa: S105
        BASE_URL = "https://localhost"
        SIGNING_SELF_SIGNED = True
        SIGNING_KEY_PASSPHRASE = "production-like-passphrase-for-tests"  # noqa: S105

    # The throttling extension keeps one storage for every app: keep the suite's.
    return create_app(
        Production,
        DATABASE_URL=app.config["DATABASE_URL"],
        RATELIMIT_STORAGE_URI=app.config["RATELIMIT_STORAGE_URI"],
        RATELIMIT_KEY_PREFIX=app.config["RATELIMIT_KEY_PREFIX"],
        MEDIA_ROOT=tmp_path_factory.mktemp("production-media"),
        SIGNING_DIR=tmp_path_factory.mktemp("production-signing"),
    )


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[None]:
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        yield


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


# --- factories -------------------------------------------------------------------------------

_counter = itertools.count(1)


@pytest.fixture
def make_school(app: Flask) -> Callable[..., School]:
    def make(name: str = "Basisschool De Linde") -> School:
        school = School(name=f"{name} {next(_counter)}", city="Amersfoort")
        db.session.add(school)
        db.session.commit()
        return school

    return make


@pytest.fixture
def school(make_school: Callable[..., School]) -> School:
    return make_school()


_hashes: dict[str, str] = {}


def _password_hash(app: Flask, password: str) -> str:
    # Hashing once per password keeps the suite fast; the parameters are the app's own.
    if password not in _hashes:
        cfg = app.config
        hasher = PasswordHasher(
            cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"], cfg["ARGON2_PARALLELISM"]
        )
        _hashes[password] = hasher.hash(password)
    return _hashes[password]


@pytest.fixture
def make_user(app: Flask, school: School) -> Callable[..., User]:
    def make(
        name: str | None = None,
        *,
        email: str | None = None,
        staff: bool = False,
        admin: bool = False,
        of_school: School | None = None,
        language: str = "nl",
        password: str = PASSWORD,
    ) -> User:
        n = next(_counter)
        user = User(
            email=email or f"person{n}@example.nl",
            name=name or f"Persoon {n}",
            preferred_language=language,
            is_staff=staff or admin,
            is_school_admin=admin,
            school_id=(of_school or school).id if (staff or admin) else None,
            password_hash=_password_hash(app, password),
        )
        db.session.add(user)
        db.session.commit()
        return user

    return make


@dataclass
class Circle:
    child: Child
    coach: User
    teacher: User
    specialist: User
    parent: User
    parent2: User

    def members(self) -> dict[Role, User]:
        return {
            Role.COACH: self.coach,
            Role.TEACHER: self.teacher,
            Role.SPECIALIST: self.specialist,
            Role.PARENT: self.parent,
        }


@pytest.fixture
def make_child(app: Flask, school: School, make_user: Callable[..., User]) -> Callable[..., Child]:
    def make(
        name: str = "Sem de Boer",
        *,
        coach: User | None = None,
        teachers: tuple[User, ...] = (),
        specialists: tuple[User, ...] = (),
        parents: tuple[User, ...] = (),
        born: date = date(2017, 5, 2),
        of_school: School | None = None,
    ) -> Child:
        child = Child(
            school_id=(of_school or school).id,
            name=name,
            date_of_birth=born,
            group_name="groep 4",
            guiding_question="Wat heeft Sem nodig om bij de instructie te blijven?",
            started_on=date(2026, 9, 1),
        )
        db.session.add(child)
        db.session.flush()
        coach = coach or make_user("Coach", staff=True)
        roles = [(coach, Role.COACH)]
        roles += [(u, Role.TEACHER) for u in teachers]
        roles += [(u, Role.SPECIALIST) for u in specialists]
        roles += [(u, Role.PARENT) for u in parents]
        for user, role in roles:
            db.session.add(Membership(child_id=child.id, user_id=user.id, role=role))
        db.session.commit()
        return child

    return make


@pytest.fixture
def circle(make_user: Callable[..., User], make_child: Callable[..., Child]) -> Circle:
    coach = make_user("Coach Carla", staff=True)
    teacher = make_user("Juf Tamara", staff=True)
    specialist = make_user("Specialist Sam")
    parent = make_user("Ouder Petra")
    parent2 = make_user("Ouder Paul")
    child = make_child(
        coach=coach, teachers=(teacher,), specialists=(specialist,), parents=(parent, parent2)
    )
    return Circle(child, coach, teacher, specialist, parent, parent2)


@pytest.fixture
def login_as(client: FlaskClient) -> Callable[[User], FlaskClient]:
    """Sign ``user`` in through the real sign-in form of ``client``."""

    def login(user: User, password: str = PASSWORD, on: FlaskClient | None = None) -> FlaskClient:
        c = on or client
        response = c.post("/sign-in", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return c

    return login


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser journeys run last: they are the slowest, and the quick tests fail first."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)
