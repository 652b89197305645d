"""Erasing a child's consent: every signed record (answers, typed names, signatures and their
evidence). The sealed PDFs are documents: the documents' eraser destroys them, or keeps them
detached while their retention term runs (``app.documents.erasure``).

A signed record is never changed (:class:`app.core.immutable.Immutable`); erasure does not
change it, it deletes it.
"""

from __future__ import annotations

from sqlalchemy import delete

from app.circle.models import Child
from app.consent.models import ConsentRecord
from app.core.db import DbSession


def erase_child(session: DbSession, child: Child) -> None:
    """Delete every consent record of ``child``. Raises nothing beyond database errors."""
    session.execute(delete(ConsentRecord).where(ConsentRecord.child_id == child.id))
