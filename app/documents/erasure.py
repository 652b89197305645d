"""What happens to a child's issued PDFs when the child is erased, and after.

Issued documents (consent PDFs, meeting summaries, support plans) are part of the pupil's file:
DESIGN.md §4 keeps them until two years after the pupil leaves. Beeldbrug knows no leaving
date; it knows when the child's trajectory ended (``Child.ended_on``), and an erasure ends it
in Beeldbrug that day. So a document's **retention term** ends :data:`RETENTION_YEARS` after
the trajectory's end, or after the day of erasure when the trajectory is still open.

- Past that day: erasure destroys the document (its row, and its file after the commit).
- Within it: the document stays, **detached** from the child (no child on its row; the
  records it was about are erased), with ``keep_until`` set to the day its term ends. Its file
  can still be checked (``verify-pdf``, *Controleer document*), and nobody can open it in
  the portal any more. The daily job :func:`daily_document_purge` destroys it on that day.
"""

from __future__ import annotations

import logging
from datetime import date

from huey import crontab
from sqlalchemy import delete, select, update

from app.circle.models import Child
from app.core import after_commit, audit, storage
from app.core.clock import local_date
from app.core.db import DbSession, db
from app.core.jobs import periodic_job
from app.documents.models import Document

log = logging.getLogger("beeldbrug.documents")

#: Years after the trajectory's end that the school keeps a child's documents.
RETENTION_YEARS = 2


def retention_ends(child: Child, today: date) -> date:
    """The day the retention term of ``child``'s documents ends, were the child erased
    ``today`` (an open trajectory ends today)."""
    end = child.ended_on or today
    try:
        return end.replace(year=end.year + RETENTION_YEARS)
    except ValueError:  # 29 February
        return date(end.year + RETENTION_YEARS, 2, 28)


def kept_on_erasure(session: DbSession, child: Child, today: date) -> tuple[int, date | None]:
    """How many of ``child``'s documents erasing it ``today`` would keep, and until when
    (None when none)."""
    until = retention_ends(child, today)
    if until <= today:
        return 0, None
    count = len(session.scalars(select(Document.id).where(Document.child_id == child.id)).all())
    return count, (until if count else None)


def erase_child(session: DbSession, child: Child) -> None:
    """Destroy ``child``'s documents past their retention term (files after the commit), and
    detach the others until the term ends. Raises nothing beyond database errors."""
    today = local_date()
    until = retention_ends(child, today)
    if until > today:
        session.execute(
            update(Document)
            .where(Document.child_id == child.id)
            .values(child_id=None, keep_until=until)
        )
        return
    keys = list(session.scalars(select(Document.storage_key).where(Document.child_id == child.id)))
    session.execute(delete(Document).where(Document.child_id == child.id))
    _delete_after_commit(session, keys)


def purge_kept(session: DbSession, today: date | None = None) -> int:
    """Destroy the detached documents whose retention term ended by ``today`` (the school's
    today by default), each audited as ``document_destroyed``; files after the commit.
    Returns how many. A second run the same day changes nothing."""
    today = today or local_date()
    due = list(
        session.scalars(
            select(Document).where(Document.keep_until.is_not(None), Document.keep_until <= today)
        )
    )
    for document in due:
        audit.record(
            session,
            "document_destroyed",
            obj=document,
            data={"kind": document.kind.value, "sha256": document.sha256, "reason": "retention"},
        )
    keys = [document.storage_key for document in due]
    if due:
        session.execute(delete(Document).where(Document.id.in_([d.id for d in due])))
        _delete_after_commit(session, keys)
        log.info("destroyed %d documents at the end of their retention term", len(due))
    return len(due)


def _delete_after_commit(session: DbSession, keys: list[str]) -> None:
    def delete_files() -> None:
        for key in keys:
            storage.delete(key)

    if keys:
        after_commit.defer(session, delete_files)


# 03:25 UTC: after the footage purge, a new day on the school's calendar.
@periodic_job(crontab(hour="3", minute="25"))
def daily_document_purge() -> int:
    """Every day: destroy the detached documents whose retention term ended
    (:func:`purge_kept`)."""
    destroyed = purge_kept(db.session)
    db.session.commit()
    return destroyed
