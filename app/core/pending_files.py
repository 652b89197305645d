"""Files that must not outlive a rolled-back transaction (SECURITY.md check 33: no rows
without files, no files without rows).

A file is stored before the row that names it is committed. :func:`track` ties the file to the
session's current transaction (or savepoint): a rollback of it, or a session closed without a
commit, removes the file; the outermost commit keeps it. ``app.core.storage.delete_on_rollback``
is the way features use it, by storage key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, scoped_session

from app.core.db import DbSession

log = logging.getLogger("beeldbrug.storage")

PENDING_KEY = "beeldbrug_pending_files"


@dataclass
class _Pending:
    path: Path
    transaction: SessionTransaction | None


def _real(session: DbSession) -> Session:
    return session() if isinstance(session, scoped_session) else session


def track(session: DbSession, path: Path) -> None:
    """Remove the file at ``path`` again unless ``session``'s current transaction commits.

    The absolute path is kept so that the clean-up works outside an application context too.
    """
    session = _real(session)
    if session.get_transaction() is None:
        session.connection()  # begin now, so the file is tied to this transaction
    current = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(PENDING_KEY, []).append(_Pending(path, current))


def forget(session: DbSession, path: Path) -> None:
    """Stop tracking ``path`` (after the caller deleted the file itself)."""
    session = _real(session)
    pending: list[_Pending] = session.info.get(PENDING_KEY, [])
    session.info[PENDING_KEY] = [p for p in pending if p.path != path]


def _remove(entries: list[_Pending]) -> None:
    for entry in entries:
        try:
            entry.path.unlink(missing_ok=True)
            log.info("removed file of a transaction that did not commit: %s", entry.path.name)
        except OSError:
            log.exception("could not remove orphan file %s", entry.path)


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_commit")
def _keep_committed(session: Session) -> None:
    # Only the outermost commit makes the rows durable; releasing a savepoint does not.
    if session.get_nested_transaction() is None:
        session.info.pop(PENDING_KEY, None)


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending: list[_Pending] = session.info.get(PENDING_KEY, [])
    if not pending:
        return
    gone = [p for p in pending if _within(p.transaction, previous_transaction)]
    if gone:
        session.info[PENDING_KEY] = [p for p in pending if p not in gone]
        _remove(gone)


@event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without a commit (the session was closed or removed):
    # its rows are gone, so its files go too.
    if transaction.parent is None:
        _remove(session.info.pop(PENDING_KEY, []))
