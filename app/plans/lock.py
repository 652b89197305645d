"""A version sent to the parents is fixed: nothing of it is added, changed or taken away.

The version row itself refuses updates through :class:`app.core.versions.VersionedMixin`
(the shared :class:`app.core.immutable.Immutable` guard). This module adds the rows below a
version, its items, and the version's deletion: a flush that adds, changes or deletes an
item of a sent version, or deletes a sent version, raises :class:`ImmutableRecordError`,
whichever route, service, command or job tried. Services refuse first with a clear message;
this is the floor under them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import get_history

from app.core.immutable import ImmutableRecordError
from app.plans.models import PlanItem, PlanVersion


def _sent(session: Session, version_id: int | None) -> bool:
    if version_id is None:
        return False
    version = session.get(PlanVersion, version_id)
    if version is None:
        return False
    # What the database holds: a version being sent in this very flush is still a draft.
    history = get_history(version, "published_at")
    before = (history.deleted or history.unchanged or [version.published_at])[0]
    return before is not None


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_sent_versions(session: Session, context: Any, instances: Any) -> None:
    for row in (*session.new, *session.deleted, *session.dirty):
        if isinstance(row, PlanItem) and _sent(session, row.plan_version_id):
            if row in session.dirty and not session.is_modified(row):
                continue
            raise ImmutableRecordError(
                f"PlanItem of sent plan version {row.plan_version_id} cannot change"
            )
        if isinstance(row, PlanVersion) and row in session.deleted and _sent(session, row.id):
            raise ImmutableRecordError(f"sent PlanVersion {row.id} cannot be deleted")
