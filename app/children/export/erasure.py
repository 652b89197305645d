"""A child's exports go with the child: their rows now, their zips once the erasure commits.

An export still being built when its child is erased finds its row gone when it finishes; the
hourly sweep (``delivery.remove_expired``) deletes the zip it leaves behind.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from app.children.export.models import ChildExport
from app.circle.models import Child
from app.core import after_commit, storage
from app.core.db import DbSession


def erase_child(session: DbSession, child: Child) -> None:
    """Delete ``child``'s exports; their files go after the caller's commit."""
    keys = list(
        session.scalars(
            select(ChildExport.storage_key).where(
                ChildExport.child_id == child.id, ChildExport.storage_key.is_not(None)
            )
        )
    )
    session.execute(delete(ChildExport).where(ChildExport.child_id == child.id))

    def files() -> None:
        for key in keys:
            if key:
                storage.delete(key)

    after_commit.defer(session, files)
