"""Work deferred to the commit (deleting erased files, revoking jobs) runs only once the rows
are gone for good: never after a rollback, never after a savepoint is released."""

from __future__ import annotations

from app.core import after_commit
from app.core.db import db


def test_a_commit_runs_the_deferred_work_once(app):
    done: list[str] = []
    with app.app_context():
        after_commit.defer(db.session, lambda: done.append("deleted"))
        assert done == []
        db.session.commit()
        db.session.commit()
    assert done == ["deleted"]


def test_a_rollback_drops_it(app):
    done: list[str] = []
    with app.app_context():
        after_commit.defer(db.session, lambda: done.append("deleted"))
        db.session.rollback()
        db.session.commit()
    assert done == []


def test_a_released_savepoint_is_no_commit(app):
    done: list[str] = []
    with app.app_context():
        db.session.connection()
        with db.session.begin_nested():
            after_commit.defer(db.session, lambda: done.append("deleted"))
        assert done == []
        db.session.commit()
    assert done == ["deleted"]


def test_a_failing_action_does_not_stop_the_others(app):
    done: list[str] = []

    def fails() -> None:
        raise OSError("gone already")

    with app.app_context():
        after_commit.defer(db.session, fails)
        after_commit.defer(db.session, lambda: done.append("second"))
        db.session.commit()
    assert done == ["second"]
