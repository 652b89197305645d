"""Who sees an object that has an audience (a clip, fragment, moment, meeting or plan), who may
change that audience, the SQL clause that filters lists by it, and the loader.

Part of the one access policy: a person's role in a circle comes with their seat
(:class:`app.circle.policy.Seat`, worked out once per request); :mod:`app.circle.policy` also
holds the role × action table. DESIGN.md rule 2: *private* is the uploader and the coaches,
*team* the school side of the circle and the uploader, *circle* everyone in it. Only a coach
widens an audience to the circle; a home recording reaches the school team only if the
uploading parent chose so.
"""

from __future__ import annotations

import enum
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, false, or_, select

from app.circle import policy
from app.circle.models import Membership, Role
from app.circle.policy import Seat
from app.core.db import Base, db, one_of
from app.core.errors import ForbiddenError, NotFoundError
from app.core.i18n import lazy_gettext as _l

RowT = TypeVar("RowT", bound=Base)

C, T, S, P, U = Role.COACH, Role.TEACHER, Role.SPECIALIST, Role.PARENT, Role.PUPIL


class Audience(enum.StrEnum):
    """Who sees a clip, moment, meeting or plan; stored with ``enum_column(Audience)``."""

    PRIVATE = "private"  # the uploader and the coaches
    TEAM = "team"  # the school side of the circle, and the uploader
    CIRCLE = "circle"  # everyone in the circle: parents and the pupil too

    @property
    def label(self) -> str:
        """How the interface names this audience, in the current language."""
        return str(AUDIENCE_LABELS[self])


AUDIENCE_LABELS = {
    Audience.PRIVATE: _l("Only me and the coaches"),
    Audience.TEAM: _l("School team"),
    Audience.CIRCLE: _l("Everyone in the circle"),
}

#: Who sees an object of each audience. Read a row as "who sees". Besides these, whoever
#: uploaded (or wrote) the object sees it, as long as they are in the circle.
SEES: dict[Audience, frozenset[Role]] = {
    Audience.PRIVATE: frozenset({C}),
    Audience.TEAM: policy.SCHOOL_SIDE,
    Audience.CIRCLE: frozenset({C, T, S, P, U}),
}


def may_see(seat: Seat, *, audience: Audience | str, uploader_id: int | None) -> bool:
    """True when ``seat`` may see an object of its child with this audience and uploader.

    Only members of the circle have a seat: an uploader who left the circle no longer sees
    their own upload. Never raises; an error while deciding (an unknown audience) denies.
    """
    try:
        return seat.owns(uploader_id) or seat.role in SEES[Audience(audience)]
    except Exception:
        policy.log.exception("audience check failed; denying")
        return False


def visible_clause(
    seat: Seat, *, child_col: Any, audience_col: Any, uploader_col: Any
) -> ColumnElement[bool]:
    """SQL for "``seat`` may see this row of its child": the rule of :func:`may_see`.

    The clause includes ``child_col = seat.child.id``, so a list built on it never mixes
    children. Never raises; an error while deciding gives a clause that matches nothing.
    """
    return audience_rule(
        seat.role,
        seat.child.id,
        seat.user.id,
        child_col=child_col,
        audience_col=audience_col,
        uploader_col=uploader_col,
    )


def audience_rule(
    role: Role, child: Any, viewer: Any, *, child_col: Any, audience_col: Any, uploader_col: Any
) -> ColumnElement[bool]:
    """:func:`visible_clause` for person ``viewer`` in ``role`` in child ``child``'s circle:
    ids, or bound parameters of a statement built once per role (building a clause costs more
    than running it). Never raises; an error while deciding matches nothing."""
    try:
        seen = [audience for audience in Audience if role in SEES[audience]]
        return and_(child_col == child, or_(one_of(audience_col, seen), uploader_col == viewer))
    except Exception:
        policy.log.exception("audience check failed; denying")
        return false()


def visible_or_404(
    model: type[RowT], seat: Seat, object_id: int, *, uploader_attr: str = "uploader_id"
) -> RowT:
    """An object of ``seat``'s child by id that ``seat`` may see, in one query.

    ``model`` has ``id``, ``child_id``, ``audience`` and the uploader's (or author's) id in
    ``uploader_attr``. Raises NotFoundError for a missing id, another child's id, and an object the
    seat may not see alike, so the answer never tells that it exists; never Forbidden, since
    the route's rule already refused roles that may not do the action at all. An error while
    deciding raises NotFound; a failing database is not hidden as a 404.
    """
    columns: Any = model  # any model with ``id``, ``child_id`` and ``audience`` columns
    clause = visible_clause(
        seat,
        child_col=columns.child_id,
        audience_col=columns.audience,
        uploader_col=getattr(model, uploader_attr),
    )
    row: RowT | None = db.session.scalar(select(model).where(columns.id == object_id, clause))
    if row is None:
        policy.log_denied(f"{model.__name__.lower()}_missing_or_not_visible", seat.child.id)
        raise NotFoundError(f"{model.__name__.lower()}_missing_or_not_visible")
    return row


def may_set_audience(
    seat: Seat, *, uploader_id: int | None, current: Audience | None, new: Audience
) -> bool:
    """True when ``seat`` may give an object of its child the audience ``new``.

    ``current`` is the object's audience now, or None while the uploader creates it. Only
    members of the circle, and of those only the uploader and the coaches, set an audience.
    The uploader chooses between private and team: for a home recording that is the parent
    deciding whether the school team sees it at all. Only a coach widens to the circle, and a
    coach widens a home-side upload (its uploader is not school-side now, or has left) only
    once its uploader opened it to the team. Narrowing is always allowed to both. Never
    raises; an error while deciding denies.
    """
    try:
        is_uploader = seat.owns(uploader_id)
        if not (is_uploader or seat.is_coach):
            return False
        if not seat.is_coach:  # the uploader: private or team; circle only as a coach left it
            return new is not Audience.CIRCLE or current is Audience.CIRCLE
        if current is None:  # only the uploader creates
            return is_uploader
        if is_uploader or new is Audience.PRIVATE or current is not Audience.PRIVATE:
            return True
        return policy.is_school_side(_role_of(uploader_id, seat.child.id))
    except Exception:
        policy.log.exception("audience check failed; denying")
        return False


def settable_audiences(
    seat: Seat, *, uploader_id: int | None, current: Audience | None
) -> tuple[Audience, ...]:
    """The audiences ``seat`` may choose for an object (the choices a form offers)."""
    return tuple(
        audience
        for audience in Audience
        if may_set_audience(seat, uploader_id=uploader_id, current=current, new=audience)
    )


def audience_or_403(
    seat: Seat, *, uploader_id: int | None, current: Audience | None, new: Audience
) -> Audience:
    """``new``, when ``seat`` may set it (see :func:`may_set_audience`).

    Raises ForbiddenError otherwise: whoever gets here sees the object, so a 403 tells nothing new.
    """
    if not may_set_audience(seat, uploader_id=uploader_id, current=current, new=new):
        policy.log_denied(f"may_not_set_audience_{new}", seat.child.id)
        raise ForbiddenError(f"may_not_set_audience_{new}")
    return new


def _role_of(user_id: int | None, child_id: int) -> Role | None:
    """The role of someone other than the asker (an uploader) in the circle now, or None."""
    if user_id is None:
        return None
    return db.session.scalar(
        select(Membership.role).where(
            Membership.child_id == child_id,
            Membership.user_id == user_id,
            policy.active_membership_clause(),
        )
    )
