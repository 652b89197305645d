"""Erasing a child from its circle: memberships and invitations go, the child's own account
(a pupil's, from the consent age, in no other circle) goes with its sessions and second
factors, and the child's row is replaced by a :class:`ChildTombstone` (its id, school, when
and by whom; no name).

:func:`erase_child` is one of the erasers the admin's erasure runs; :func:`leave_tombstone`
is its last step, after every feature erased its rows (they refer to the child's row).
"""

from __future__ import annotations

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import aliased

from app.circle.models import Child, ChildTombstone, Invitation, Membership, Role, User
from app.core import audit
from app.core.db import DbSession, utcnow


def own_accounts(session: DbSession, child: Child) -> list[int]:
    """The ids of ``child``'s own accounts: pupils of its circle who are not staff and in no
    other child's circle (an account of the child, not of someone else)."""
    other = aliased(Membership)
    elsewhere = exists().where(other.user_id == User.id, other.child_id != child.id)
    return list(
        session.scalars(
            select(User.id)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.child_id == child.id, Membership.role == Role.PUPIL)
            .where(User.is_staff.is_(False), ~elsewhere)
            .distinct()
        )
    )


def erase_child(session: DbSession, child: Child) -> None:
    """Delete every membership of and invitation into ``child``'s circle, and the child's own
    accounts with the personal details of what they did: nobody reaches the child any more,
    from their next request on. Raises nothing beyond database errors."""
    accounts = own_accounts(session, child)
    session.execute(delete(Invitation).where(Invitation.child_id == child.id))
    session.execute(delete(Membership).where(Membership.child_id == child.id))
    for user_id in accounts:
        audit.erase_personal_of_actor(session, user_id)
    if accounts:
        # Their sessions, passkeys, codes and links go with them (ON DELETE CASCADE).
        session.execute(delete(User).where(User.id.in_(accounts)))


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
