"""Migrations: one head, every step up, down and up again, and the models equal the schema.

Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set (SECURITY H.32).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, func, inspect, select, table
from sqlalchemy.orm import Session

from app.cli import alembic_config
from app.core import audit
from app.core.db import Base, make_engine
from tests.support.infra import fresh_database_url


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


# --- data migrations -------------------------------------------------------------------------

ONE_LINE_NAMES = "d13adf579f61"
SIGNED_TEXT = "Ik geef toestemming.\nVoor filmen op school.\r\n"
SIGNED_NAME = "Peter\nBakker\t"


def insert(conn: Any, table: Any, **values: Any) -> int:
    return conn.execute(table.insert().values(**values)).inserted_primary_key[0]


def insert_dirty_rows(url: str) -> dict[str, int]:
    """Rows as the schema before the cleaning holds them, typed before the forms refused
    control characters; returns their ids."""
    engine = make_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    t = meta.tables
    at = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    try:
        with engine.begin() as conn:
            school = insert(
                conn,
                t["schools"],
                name="OBS De\r\nRegenboog ",
                city="\tUtrecht\u2028",
                created_at=at,
            )
            common = {"is_staff": False, "is_school_admin": False, "is_deactivated": False}
            peter = insert(
                conn,
                t["users"],
                email="ouder@example.nl",
                name="Peter\nBakker",
                **common,
                preferred_language="nl",
                school_id=school,
                created_at=at,
            )
            sanne = insert(
                conn,
                t["users"],
                email="coach@example.nl",
                name="Sanne Jansen",
                **common,
                preferred_language="nl",
                school_id=school,
                created_at=at,
            )
            child = insert(
                conn,
                t["children"],
                school_id=school,
                name="Noah\x7f Bakker",
                date_of_birth=date(2017, 5, 2),
                group_name="groep\t5\n",
                guiding_question="Wat heeft Noah nodig?\nEn hoe bieden we dat?",
                started_on=date(2026, 9, 1),
                created_at=at,
            )
            invitation = insert(
                conn,
                t["invitations"],
                child_id=child,
                email="ilse@example.nl",
                name="Ilse\u2029Bakker",
                role="parent",
                language="nl",
                token_hash="a" * 64,
                created_at=at,
                expires_at=at,
            )
            clip = insert(
                conn,
                t["clips"],
                child_id=child,
                source="school",
                title="Eerste\r\nschooldag",
                notes="Regel een.\nRegel twee.",
                audience="team",
                shows_others=False,
                state="ready",
                progress=100,
                attempts=0,
                original_name="dag.mp4",
                created_at=at,
            )
            upload = insert(
                conn,
                t["clip_uploads"],
                upload_id="u1",
                child_id=child,
                uploader_id=sanne,
                source="school",
                length=10,
                filename="thuis.mp4",
                title="Thuis\x0bopname",
                audience="team",
                shows_others=False,
                created_at=at,
                expires_at=at,
            )
            kept_tag = insert(
                conn,
                t["moment_tags"],
                school_id=school,
                label="gevoelens benoemen",
                created_at=at,
            )
            twin_tag = insert(
                conn,
                t["moment_tags"],
                school_id=school,
                label="gevoelens\nbenoemen",
                created_at=at,
            )
            other_tag = insert(
                conn, t["moment_tags"], school_id=school, label="doel\tuit plan", created_at=at
            )
            moment = insert(
                conn,
                t["moments"],
                child_id=child,
                clip_id=clip,
                start_s=1.0,
                custom_tag_id=twin_tag,
                text="Kijkt op.\nLacht.",
                audience="team",
                created_at=at,
            )
            template = insert(
                conn,
                t["consent_templates"],
                school_id=school,
                version=1,
                texts={},
                retention_months=12,
                created_at=at,
                published_at=at,
            )
            record = insert(
                conn,
                t["consent_records"],
                child_id=child,
                signer_id=peter,
                signer_role="guardian",
                kind="consent",
                template_id=template,
                template_version=1,
                language="nl",
                answers={},
                withdrawn=[],
                text_shown=SIGNED_TEXT,
                text_sha256="b" * 64,
                typed_name=SIGNED_NAME,
                signature_method="typed",
                opened_at=at,
                signed_at=at,
                ip_address="127.0.0.1",
                user_agent="test",
                sign_in_method="password",
                form_nonce="n1",
            )
            document = insert(
                conn,
                t["documents"],
                school_id=school,
                kind="consent",
                child_id=child,
                subject_type="consent_record",
                subject_id=record,
                title="Toestemming\nv1",
                sha256="c" * 64,
                size=1,
                storage_key="k",
                issued_at=at,
            )
    finally:
        engine.dispose()
    return {
        "school": school,
        "peter": peter,
        "sanne": sanne,
        "child": child,
        "invitation": invitation,
        "clip": clip,
        "upload": upload,
        "kept_tag": kept_tag,
        "other_tag": other_tag,
        "moment": moment,
        "record": record,
        "document": document,
    }


#: (table, column, row): the values the cleaning changes or must leave, the row named by its key.
WATCHED = (
    ("schools", "name", "school"),
    ("schools", "city", "school"),
    ("users", "name", "peter"),
    ("users", "name", "sanne"),
    ("children", "name", "child"),
    ("children", "group_name", "child"),
    ("children", "guiding_question", "child"),
    ("invitations", "name", "invitation"),
    ("clips", "title", "clip"),
    ("clips", "notes", "clip"),
    ("clip_uploads", "title", "upload"),
    ("moments", "custom_tag_id", "moment"),
    ("moments", "text", "moment"),
    ("consent_records", "typed_name", "record"),
    ("consent_records", "text_shown", "record"),
    ("documents", "title", "document"),
)


def stored(url: str, ids: dict[str, int]) -> dict[str, Any]:
    """The watched values as stored now, by row key and column, and every moment tag."""
    engine = make_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    try:
        with engine.connect() as conn:
            values: dict[str, Any] = {}
            for table, column, key in WATCHED:
                c = meta.tables[table].c
                values[f"{key}.{column}"] = conn.scalar(select(c[column]).where(c.id == ids[key]))
            tags = meta.tables["moment_tags"].c
            values["moment_tags"] = sorted(conn.execute(select(tags.id, tags.label)).all())
            return values
    finally:
        engine.dispose()


def test_stored_names_are_put_on_one_line_and_signed_records_stay_as_signed(empty_database):
    cfg = alembic_config(empty_database)
    before = ScriptDirectory.from_config(cfg).get_revision(ONE_LINE_NAMES).down_revision
    command.upgrade(cfg, before)
    ids = insert_dirty_rows(empty_database)

    command.upgrade(cfg, ONE_LINE_NAMES)

    cleaned = stored(empty_database, ids)
    assert cleaned == {
        "school.name": "OBS De Regenboog",
        "school.city": "Utrecht",
        "peter.name": "Peter Bakker",
        "sanne.name": "Sanne Jansen",
        "child.name": "Noah Bakker",
        "child.group_name": "groep 5",
        "child.guiding_question": "Wat heeft Noah nodig?\nEn hoe bieden we dat?",
        "invitation.name": "Ilse Bakker",
        "clip.title": "Eerste schooldag",
        "clip.notes": "Regel een.\nRegel twee.",
        "upload.title": "Thuis opname",
        # The label that became equal to another is merged into it; its moment moved over.
        "moment.custom_tag_id": ids["kept_tag"],
        "moment.text": "Kijkt op.\nLacht.",
        "moment_tags": [
            (ids["kept_tag"], "gevoelens benoemen"),
            (ids["other_tag"], "doel uit plan"),
        ],
        # Evidence stays byte for byte as signed and as issued.
        "record.typed_name": SIGNED_NAME,
        "record.text_shown": SIGNED_TEXT,
        "document.title": "Toestemming\nv1",
    }
    # Down changes nothing, and up again finds nothing more to clean.
    command.downgrade(cfg, before)
    assert stored(empty_database, ids) == cleaned
    command.upgrade(cfg, ONE_LINE_NAMES)
    assert stored(empty_database, ids) == cleaned


def test_a_database_with_rows_upgrades_to_the_newest_schema(empty_database):
    # Some upgrades rebuild a table on SQLite (copy, drop, rename): with rows referring to it,
    # dropping it must not trip the foreign keys, and every row stays.
    cfg = alembic_config(empty_database)
    command.upgrade(cfg, ONE_LINE_NAMES)
    insert_dirty_rows(empty_database)
    before = row_counts(empty_database)
    assert sum(before.values()) > 10

    command.upgrade(cfg, "head")

    # Audit events may be added, and the cleaning of names merges labels that became equal.
    changing = ("audit", "moment_tags")
    after = row_counts(empty_database)
    assert {t: n for t, n in after.items() if t in before and not t.startswith(changing)} == {
        t: n for t, n in before.items() if not t.startswith(changing)
    }
    engine = make_engine(empty_database)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    finally:
        engine.dispose()


def row_counts(url: str) -> dict[str, int]:
    """How many rows each table of the database holds."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            names = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
            return {
                name: conn.execute(select(func.count()).select_from(table(name))).scalar_one()
                for name in names
            }
    finally:
        engine.dispose()


ZERO_WIDTH_NAMES = "6c1f0e2a9b47"


def audit_rows(url: str) -> list[tuple[str, dict[str, Any]]]:
    engine = make_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    try:
        with engine.connect() as conn:
            e = meta.tables["audit_events"].c
            rows = conn.execute(select(e.action, e.data).order_by(e.id)).all()
            return [(action, json.loads(data)) for action, data in rows]
    finally:
        engine.dispose()


def test_the_cleaning_of_names_is_written_to_the_audit_log_and_the_chain_holds(empty_database):
    cfg = alembic_config(empty_database)
    command.upgrade(cfg, ONE_LINE_NAMES)
    ids = insert_dirty_rows(empty_database)  # dirty again, as typed before this revision
    engine = make_engine(empty_database)
    meta = MetaData()
    meta.reflect(engine)
    with engine.begin() as conn:
        users = meta.tables["users"]
        conn.execute(users.update().where(users.c.id == ids["peter"]).values(name="Pe\u200bter"))
        conn.execute(
            users.update().where(users.c.id == ids["sanne"]).values(name="San\u200cne\u2060")
        )
    engine.dispose()

    command.upgrade(cfg, ZERO_WIDTH_NAMES)

    values = stored(empty_database, ids)
    assert values["peter.name"] == "Peter"
    assert values["sanne.name"] == "San\u200cne"  # the joiner stays
    events = audit_rows(empty_database)
    assert events[0] == ("names.cleaned", {"revision": ONE_LINE_NAMES, "rows": "not recorded"})
    by_table = {data["table"]: data for _, data in events[1:]}
    assert by_table["users"]["rows"] == sorted([ids["peter"], ids["sanne"]])
    assert by_table["users"]["revision"] == ZERO_WIDTH_NAMES
    assert "moment_tags" in by_table and "children" in by_table
    assert all(action == "names.cleaned" for action, _ in events)
    # No name is written to the log.
    assert "Peter" not in repr(events)

    # The chain the migration appended to verifies, and another run adds nothing.
    verify_engine = make_engine(empty_database)
    try:
        with Session(verify_engine) as session:
            report = audit.verify(session)
        assert report.ok and report.checked == len(events)
    finally:
        verify_engine.dispose()
    command.downgrade(cfg, ONE_LINE_NAMES)
    command.upgrade(cfg, ZERO_WIDTH_NAMES)
    assert audit_rows(empty_database) == events


def test_a_database_without_accounts_gets_no_audit_event_from_the_cleaning(empty_database):
    command.upgrade(alembic_config(empty_database), ZERO_WIDTH_NAMES)
    assert audit_rows(empty_database) == []
