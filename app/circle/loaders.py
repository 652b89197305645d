"""Rows looked up by id within their owner: an id of another child's (or school's) row answers
exactly as an id of no row does, NotFoundError (rule 1: ids are looked up within their child).
The seat's right to the child is :mod:`app.circle.policy`'s to decide; these only keep ids
from reaching across circles and schools."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select

from app.circle.models import Child, Invitation, Membership, School, User
from app.core.db import Base, db
from app.core.errors import NotFoundError

RowT = TypeVar("RowT", bound=Base)


def of_child_or_404(model: type[RowT], child: Child, object_id: int) -> RowT:
    """A row of ``model`` (with a ``child_id``) by id within ``child``: an id of another
    child's row, or none, raises NotFoundError (rule 1: ids are looked up within their
    child)."""
    return _row_within(model, "child_id", child.id, object_id)


def membership_or_404(child: Child, membership_id: int) -> Membership:
    """A membership of ``child`` by id (an id from another child's circle gives 404)."""
    return of_child_or_404(Membership, child, membership_id)


def invitation_or_404(child: Child, invitation_id: int) -> Invitation:
    """An invitation into ``child``'s circle by id (another child's invitation gives 404)."""
    return of_child_or_404(Invitation, child, invitation_id)


def of_school_or_404(model: type[RowT], school: School, object_id: int) -> RowT:
    """A row of ``model`` (with a ``school_id``) by id within ``school``; another school's row,
    or none, raises NotFoundError."""
    return _row_within(model, "school_id", school.id, object_id)


def _row_within(model: type[RowT], owner: str, owner_id: int, object_id: int) -> RowT:
    """The row of ``model`` with ``object_id`` whose ``owner`` column holds ``owner_id``, in
    one query; raises NotFoundError for none (another owner's row looks the same)."""
    columns: Any = model  # any model with an ``id`` and the ``owner`` column
    row: RowT | None = db.session.scalar(
        select(model).where(getattr(columns, owner) == owner_id, columns.id == object_id)
    )
    if row is None:
        raise NotFoundError(f"{model.__name__.lower()}_not_within_{owner}")
    return row


def staff_or_404(school: School, user_id: int) -> User:
    """A staff account of ``school`` by id; staff of another school, or a parent, gives 404."""
    user: User | None = db.session.scalar(
        select(User).where(User.id == user_id, User.school_id == school.id, User.is_staff.is_(True))
    )
    if user is None:
        raise NotFoundError("not_staff_of_this_school")
    return user
