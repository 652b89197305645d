"""Work that may only happen once a transaction's rows are gone for good: deleting the files
they named, revoking the jobs queued for them (SECURITY.md check 33: a rollback must never
leave rows pointing at deleted files).

:func:`defer` ties an action to the session's transaction; the outermost commit runs it, a
rollback (or a session closed without a commit) drops it. An action that fails is logged and
the others still run: the rows are gone already, and a file left behind is found by the
storage sweep rather than resurrecting anything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, scoped_session

from app.core.db import DbSession

log = logging.getLogger("beeldbrug.storage")

DEFERRED_KEY = "beeldbrug_after_commit"


def defer(session: DbSession, action: Callable[[], object]) -> None:
    """Run ``action`` after ``session``'s outermost commit; never when it rolls back. It runs
    in the application deferring it (its storage, its job queue), context or not by then."""
    real = session() if isinstance(session, scoped_session) else session
    if real.get_transaction() is None:
        real.connection()  # begin now, so that a rollback of it drops the action
    # current_app is typed as the Flask it stands for, not as the proxy it is.
    app = current_app._get_current_object() if has_app_context() else None  # type: ignore[attr-defined]

    def run() -> None:
        if app is None or has_app_context():
            action()
            return
        with app.app_context():
            action()

    real.info.setdefault(DEFERRED_KEY, []).append(run)


@event.listens_for(Session, "after_commit")
def _run_deferred(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # releasing a savepoint makes nothing durable
    for action in session.info.pop(DEFERRED_KEY, []):
        try:
            action()
        except Exception:
            log.exception("an action after the commit failed")


@event.listens_for(Session, "after_rollback")
def _drop_deferred(session: Session) -> None:
    session.info.pop(DEFERRED_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended: a commit ran its actions already (after_commit comes
    # first); anything left belongs to a transaction closed without a commit.
    if transaction.parent is None:
        session.info.pop(DEFERRED_KEY, None)
