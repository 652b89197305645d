"""A child's name is stored folded beside itself (``children.name_folded``), for the search by
name: set with the name, by default on a plain insert, and filled in by the migration for the
children already there."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from alembic import command
from sqlalchemy import MetaData, select

from app.circle.models import Child
from app.cli import alembic_config
from app.core.db import db, make_engine
from tests.support.infra import fresh_database_url

FOLDED_NAMES = "ea2318dcca84"


def test_the_folded_name_follows_the_name(app_ctx, make_child):
    child = make_child("Zoë Çelik")
    db.session.flush()
    assert child.name_folded == "zoe celik"

    child.name = "Ærø STRAßE"
    db.session.flush()
    stored = db.session.execute(select(Child.name_folded).where(Child.id == child.id)).scalar()
    assert stored == "aero strasse"


def test_a_plain_insert_that_gives_the_name_alone_gets_its_folded_name(app_ctx, school):
    kids = Child.__table__
    values = {
        "school_id": school.id,
        "date_of_birth": date(2019, 3, 1),
        "group_name": "groep 2",
        "guiding_question": "Wat heeft dit kind nodig?",
        "started_on": date(2026, 9, 1),
    }
    db.session.execute(kids.insert(), [{**values, "name": n} for n in ("Zoë", "Noor 50%")])
    stored = db.session.execute(
        select(kids.c.name, kids.c.name_folded).where(kids.c.name.in_(["Zoë", "Noor 50%"]))
    ).all()
    assert sorted(tuple(row) for row in stored) == [("Noor 50%", "noor 50%"), ("Zoë", "zoe")]


AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _child(school: int, name: str) -> dict[str, Any]:
    """A row of ``children`` as the schema before the folded names holds it."""
    return {
        "school_id": school,
        "name": name,
        "date_of_birth": date(2018, 5, 1),
        "group_name": "groep 3",
        "guiding_question": "Wat heeft dit kind nodig?",
        "started_on": date(2026, 9, 1),
        "created_at": AT,
    }


def test_the_migration_fills_in_the_folded_names_and_goes_down_again(tmp_path_factory):
    url = fresh_database_url(tmp_path_factory, "folded")
    cfg = alembic_config(url)
    command.upgrade(cfg, f"{FOLDED_NAMES}-1")
    engine = make_engine(url)
    names = ["Zoë Bakker", "Çelik Ömer", "Daan de Vries", "Łucja Øster"] * 300  # a few batches
    try:
        meta = MetaData()
        meta.reflect(engine)
        t = meta.tables
        with engine.begin() as conn:
            school = conn.execute(
                t["schools"].insert().values(name="OBS De Regenboog", city="Utrecht", created_at=AT)
            ).inserted_primary_key[0]
            conn.execute(t["children"].insert(), [_child(school, name) for name in names])
            # An erased child's id is never handed out again: the migration keeps that so.
            erased = conn.execute(
                t["children"].insert().values(**_child(school, "Gewist Kind"))
            ).inserted_primary_key[0]
            conn.execute(t["children"].delete().where(t["children"].c.id == erased))

        command.upgrade(cfg, FOLDED_NAMES)

        meta = MetaData()
        meta.reflect(engine)
        kids = meta.tables["children"]
        assert kids.c.name_folded.nullable is False
        with engine.connect() as conn:
            stored = conn.execute(select(kids.c.name_folded).order_by(kids.c.id)).scalars().all()
        assert stored == ["zoe bakker", "celik omer", "daan de vries", "lucja oster"] * 300
        with engine.begin() as conn:
            newcomer = conn.execute(
                kids.insert().values(**_child(school, "Nieuw Kind"), name_folded="nieuw kind")
            ).inserted_primary_key[0]
        assert newcomer > erased

        command.downgrade(cfg, f"{FOLDED_NAMES}-1")
        meta = MetaData()
        meta.reflect(engine)
        assert "name_folded" not in meta.tables["children"].c
        with engine.connect() as conn:
            kept = conn.execute(select(meta.tables["children"].c.name)).scalars().all()
        assert sorted(kept) == sorted([*names, "Nieuw Kind"])
    finally:
        engine.dispose()
