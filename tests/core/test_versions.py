"""The shared draft → published path, used by a model that is not consent's.

A tiny plan version, defined here on a table of its own in a registry of its own, is versioned
through app.core.versions alone: numbers per series, one draft at a time, editing a draft,
publishing it, and a published version that never changes. Nothing here imports a feature.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.core import versions
from app.core.db import db
from app.core.errors import RefusedError
from app.core.immutable import ImmutableRecordError


class _TestBase(DeclarativeBase):
    metadata = MetaData()


# The real users table, by name only: the test table's foreign keys point at it.
Table("users", _TestBase.metadata, Column("id", Integer, primary_key=True))


class PlanVersion(versions.VersionedMixin, _TestBase):
    """What a support plan's versions could look like: the series is the child."""

    __tablename__ = "test_plan_versions"
    __table_args__ = (UniqueConstraint("child_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(Integer)
    goals: Mapped[str] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<PlanVersion {self.id} child={self.child_id} v{self.version}>"


@pytest.fixture
def table(app, db_connection):
    # Created inside the test's transaction, so it is gone again afterwards.
    PlanVersion.__table__.create(db_connection)


def start_draft(child_id: int, goals: str = "Blijft bij de instructie") -> PlanVersion:
    """The service a feature would write: the draft, a new one copying the plan in force."""
    draft, _new = versions.start_draft(
        db.session,
        PlanVersion,
        lambda in_force: {"goals": in_force.goals if in_force else goals},
        actor_id=None,
        child_id=child_id,
    )
    return draft


def edit(draft: PlanVersion, goals: str) -> None:
    versions.check_draft(draft)
    draft.goals = goals
    db.session.flush()


def test_versions_are_numbered_per_series_with_one_draft_at_a_time(app_ctx, table, circle):
    first = start_draft(1)
    assert first.version == 1 and not first.is_published
    assert start_draft(1) is first  # one draft at a time
    assert start_draft(2).version == 1  # another child's plan counts on its own

    versions.publish_version(first, actor_id=circle.coach.id)
    db.session.flush()
    second = start_draft(1, goals="Zelf om hulp vragen")
    assert second.version == 2 and second.goals == first.goals  # copied from the one in force
    assert versions.published_version(db.session, PlanVersion, child_id=1) is first
    assert versions.draft_version(db.session, PlanVersion, child_id=1) is second
    assert versions.all_versions(db.session, PlanVersion, child_id=1) == [second, first]

    versions.publish_version(second, actor_id=circle.coach.id)
    db.session.flush()
    assert versions.published_version(db.session, PlanVersion, child_id=1) is second
    assert versions.draft_version(db.session, PlanVersion, child_id=1) is None
    assert versions.next_version(db.session, PlanVersion, child_id=1) == 3


def test_a_draft_is_edited_and_publishing_fixes_it(app_ctx, table, circle):
    draft = start_draft(1)
    edit(draft, "Vraagt zelf om hulp")
    versions.publish_version(draft, actor_id=circle.coach.id)
    db.session.commit()
    assert draft.is_published and draft.published_by_id == circle.coach.id
    assert draft.published_at.tzinfo is not None and draft.created_at <= draft.published_at

    with pytest.raises(RefusedError):
        edit(draft, "Iets anders")
    with pytest.raises(RefusedError):
        versions.publish_version(draft, actor_id=circle.coach.id)


def test_a_published_version_never_changes_whatever_the_code_does(app_ctx, table, circle):
    draft = start_draft(1)
    versions.publish_version(draft, actor_id=circle.coach.id)
    db.session.commit()
    draft.goals = "Stilletjes veranderd"
    with pytest.raises(ImmutableRecordError):
        db.session.flush()
    db.session.rollback()

    fixed = versions.published_version(db.session, PlanVersion, child_id=1)
    fixed.published_at = None  # not even back into a draft
    with pytest.raises(ImmutableRecordError):
        db.session.flush()


def test_a_series_must_be_named(app_ctx, table):
    with pytest.raises(TypeError):
        versions.next_version(db.session, PlanVersion)
