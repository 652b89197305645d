"""Erasing a child from its circle: memberships and invitations go, and the child's row is
replaced by a :class:`ChildTombstone` (its id, school, when and by whom; no name).

:func:`erase_child` is one of the erasers the admin's erasure runs; :func:`leave_tombstone`
is its last step, after every feature erased its rows (they refer to the child's row).
"""

from __future__ import annotations

from sqlalchemy import delete

from app.circle.models import Child, ChildTombstone, Invitation, Membership, User
from app.core.db import DbSession, utcnow


def erase_child(session: DbSession, child: Child) -> None:
    """Delete every membership of and invitation into ``child``'s circle: nobody reaches the
    child any more, from their next request on. Raises nothing beyond database errors."""
    session.execute(delete(Invitation).where(Invitation.child_id == child.id))
    session.execute(delete(Membership).where(Membership.child_id == child.id))


def leave_tombstone(session: DbSession, child: Child, *, actor: User) -> ChildTombstone:
    """Replace ``child``'s row with its tombstone (the same id). Every row that refers to the
    child must be gone: a database error says otherwise, and the caller rolls back."""
    tombstone = ChildTombstone(
        id=child.id, school_id=child.school_id, erased_at=utcnow(), erased_by_id=actor.id
    )
    session.delete(child)
    session.flush()
    session.add(tombstone)
    session.flush()
    return tombstone
