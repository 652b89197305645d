"""The demo school that `make run` loads: complete, believable, and loaded only once."""

from __future__ import annotations

from sqlalchemy import func, select

from app.consent import services as consent
from app.consent.models import ConsentRecord, Purpose
from app.core import audit
from app.core.db import Base, db
from app.documents.models import Document
from app.people.models import Child, Membership, Role


def counts() -> dict[str, int]:
    return {
        t.name: db.session.scalar(select(func.count()).select_from(t))
        for t in Base.metadata.sorted_tables
    }


def test_demo_data_loads_once_with_every_role_and_a_signed_consent(app, runner):
    first = runner.invoke(args=["demo-data"])
    assert first.exit_code == 0, first.output
    assert "coach@regenboog.example" in first.output and "samen-kijken-2026" in first.output
    after_first = counts()
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    assert counts() == after_first

    children = db.session.scalars(select(Child).order_by(Child.name)).all()
    assert [c.name for c in children] == ["Elif Yılmaz", "Noah Bakker"]
    assert all(c.guiding_question for c in children)
    roles = set(db.session.scalars(select(Membership.role)))
    assert {Role.COACH, Role.TEACHER, Role.PARENT} <= roles

    noah = children[1]
    with app.app_context():
        assert consent.published_template(db.session, noah.school_id) is not None
        assert consent.allows(db.session.get(Child, noah.id), Purpose.SCHOOL_RECORDING)
        assert not consent.allows(db.session.get(Child, noah.id), Purpose.PEER_REVIEW)
    record = db.session.scalar(select(ConsentRecord))
    assert db.session.scalar(select(Document).where(Document.subject_id == record.id)) is not None
    assert audit.verify(db.session).ok
