"""The one access policy of Beeldbrug, and the loaders that apply it.

Who may do what with a child is decided by the role a person has in that child's circle,
looked up fresh on every request (so a removal takes effect at once). Someone outside the circle
learns nothing: every loader answers 404, the school admin included. A member whose role does not
allow the action gets 403.

Objects with an audience (clips, moments, meetings, plans) follow :mod:`app.circle.audience`,
built on the roles looked up here. Every endpoint declares which rule applies with a decorator
from :mod:`app.circle.routes`; an endpoint without one is refused.
"""

from __future__ import annotations

import enum
import logging
from typing import Any, TypeVar

from flask import abort, g, has_request_context, request
from flask_login import AnonymousUserMixin, current_user
from sqlalchemy import Select, or_, select

from app.circle.models import Child, Invitation, Membership, Role, School, User
from app.core.db import Base, db, utcnow

log = logging.getLogger("beeldbrug.access")
RowT = TypeVar("RowT", bound=Base)


class Action(enum.StrEnum):
    """Things a member of a child's circle can do."""

    VIEW_CHILD = "view_child"  # the child's page: name, group, guiding question, circle
    EDIT_CHILD = "edit_child"  # change name, group, birth date, guiding question
    INVITE = "invite"  # invite someone into the circle
    MANAGE_CIRCLE = "manage_circle"  # remove members, withdraw open invitations
    VIEW_CONSENT = "view_consent"  # the status per purpose, who has not answered yet
    SIGN_CONSENT = "sign_consent"  # sign or withdraw one's own consent (who signs: consent)
    REQUEST_CONSENT = "request_consent"  # ask the signers who have not answered, by e-mail
    VIEW_ALL_CONSENT_RECORDS = "view_all_consent_records"  # every signer's records and PDFs
    VIEW_CLIPS = "view_clips"  # the clips and moments whose audience includes the person
    UPLOAD_SCHOOL_RECORDING = "upload_school_recording"  # a recording made at school
    UPLOAD_HOME_RECORDING = "upload_home_recording"  # a recording made at home
    ADD_MOMENT = "add_moment"  # mark a moment in a clip (school side of the circle)
    EDIT_CLIP = "edit_clip"  # cut fragments, confirm who is in view, retry, delete
    VIEW_WATCHERS = "view_watchers"  # who started playing which clip of the child, and when


C, T, S, P, U = Role.COACH, Role.TEACHER, Role.SPECIALIST, Role.PARENT, Role.PUPIL

#: The policy, role by action. Read a row as "who may".
POLICY: dict[Action, frozenset[Role]] = {
    Action.VIEW_CHILD: frozenset({C, T, S, P, U}),
    Action.EDIT_CHILD: frozenset({C}),
    Action.INVITE: frozenset({C}),
    Action.MANAGE_CIRCLE: frozenset({C}),
    Action.VIEW_CONSENT: frozenset({C, T, S, P, U}),
    Action.SIGN_CONSENT: frozenset({P, U}),
    Action.REQUEST_CONSENT: frozenset({C}),
    Action.VIEW_ALL_CONSENT_RECORDS: frozenset({C}),
    Action.VIEW_CLIPS: frozenset({C, T, S, P, U}),
    Action.UPLOAD_SCHOOL_RECORDING: frozenset({C, T, S}),
    Action.UPLOAD_HOME_RECORDING: frozenset({P, U}),
    Action.ADD_MOMENT: frozenset({C, T, S}),
    Action.EDIT_CLIP: frozenset({C}),
    Action.VIEW_WATCHERS: frozenset({C, P, U}),
}


def role_allows(role: Role | None, action: Action) -> bool:
    """True when ``role`` may do ``action``; no role (not in the circle) may do nothing."""
    return role is not None and role in POLICY.get(action, frozenset())


#: The school side of a circle: the roles that see what the school team sees (the audience
#: "team") and that get the staff idle time-out. A specialist belongs here: invited with a
#: teacher's rights.
SCHOOL_SIDE: frozenset[Role] = frozenset({C, T, S})

#: The roles whose invitation turns a new account into a staff account of the child's school
#: (staff may open trajectories and check documents). A different question from the one
#: above: a specialist is school-side in one circle, for a limited time, but works for another
#: organisation, so does not become staff of this school.
STAFF_ACCOUNT_ROLES: frozenset[Role] = frozenset({C, T})


def is_school_side(role: Role | None) -> bool:
    """True for a role on the school side of a circle (coach, teacher, specialist)."""
    return role in SCHOOL_SIDE


def becomes_staff_account(role: Role) -> bool:
    """True when an account created through an invitation with ``role`` is school staff."""
    return role in STAFF_ACCOUNT_ROLES


# --- circle membership --------------------------------------------------------------------


def active_membership_clause(at: Any = None) -> Any:
    """SQL for "this membership is active at ``at``" (default: now)."""
    at = at or utcnow()
    return (Membership.active_from <= at) & or_(
        Membership.active_until.is_(None), Membership.active_until > at
    )


def role_in_circle(user: User, child_id: int) -> Role | None:
    """The role ``user`` has in the child's circle right now, or None (cached per request)."""
    if not getattr(user, "is_authenticated", False):
        return None
    # Keyed by user too: a request may ask about someone else (may this parent see the clip
    # the coach just shared?), and must not get the signed-in user's role as the answer.
    cache: dict[tuple[int, int], Role | None] = g.setdefault("circle_roles", {})
    key = (user.id, child_id)
    if key not in cache:
        cache[key] = db.session.scalar(
            select(Membership.role).where(
                Membership.child_id == child_id,
                Membership.user_id == user.id,
                active_membership_clause(),
            )
        )
    return cache[key]


def may(user: User, child: Child, action: Action) -> bool:
    """True when ``user`` may do ``action`` for ``child``. Any error in deciding denies."""
    try:
        return role_allows(role_in_circle(user, child.id), action)
    except Exception:
        log.exception("access check failed; denying")
        return False


def permissions(user: User, child: Child) -> frozenset[Action]:
    """Every action ``user`` may do for ``child``: the flags a template needs."""
    return frozenset(action for action in Action if may(user, child, action))


def child_or_404(child_id: int, user: User, action: Action = Action.VIEW_CHILD) -> Child:
    """Load a child for ``user``: 404 unless in the circle, 403 if the role may not ``action``.

    Raises werkzeug's NotFound or Forbidden; an error while deciding raises NotFound.
    """
    try:
        role = role_in_circle(user, child_id)
        child = db.session.get(Child, child_id) if role is not None else None
    except Exception:
        log.exception("access check failed; denying")
        role, child = None, None
    if child is None:
        log_denied("not_in_circle", child_id)
        abort(404)
    if not role_allows(role, action):
        log_denied(f"role_{role}_may_not_{action}", child_id)
        abort(403)
    return child


def of_child_or_404(model: type[RowT], child: Child, object_id: int) -> RowT:
    """A row of ``model`` (with a ``child_id``) by id within ``child``: an id of another
    child's row, or none, raises werkzeug's NotFound (rule 1: ids are looked up within their
    child)."""
    columns: Any = model  # any model with ``id`` and ``child_id`` columns
    row: RowT | None = db.session.scalar(
        select(model).where(columns.child_id == child.id, columns.id == object_id)
    )
    if row is None:
        abort(404)
    return row


def membership_or_404(child: Child, membership_id: int) -> Membership:
    """A membership of ``child`` by id (an id from another child's circle gives 404)."""
    return of_child_or_404(Membership, child, membership_id)


def invitation_or_404(child: Child, invitation_id: int) -> Invitation:
    """An invitation into ``child``'s circle by id (another child's invitation gives 404)."""
    return of_child_or_404(Invitation, child, invitation_id)


def may_sign_for(user: User, child: Child, deciding_role: Role) -> bool:
    """True when ``user`` is in ``child``'s circle with ``deciding_role``: the role whose
    members sign for the child now (the feature that signs says which). Any error denies."""
    try:
        return role_in_circle(user, child.id) is deciding_role
    except Exception:
        log.exception("access check failed; denying")
        return False


def own_or_may(user: User, child: Child, owner_id: int | None, action: Action) -> None:
    """Let ``user`` at an object of ``child``'s when it is their own (``owner_id``) or their
    role may ``action`` (see everyone's); raises werkzeug's Forbidden otherwise."""
    if owner_id is not None and owner_id == getattr(user, "id", None):
        return
    if not may(user, child, action):
        log_denied("not_own_record", child.id)
        abort(403)


def of_school_or_404(model: type[RowT], school: School, object_id: int) -> RowT:
    """A row of ``model`` (with a ``school_id``) by id within ``school``; another school's row,
    or none, raises werkzeug's NotFound."""
    columns: Any = model  # any model with ``id`` and ``school_id`` columns
    row: RowT | None = db.session.scalar(
        select(model).where(columns.school_id == school.id, columns.id == object_id)
    )
    if row is None:
        abort(404)
    return row


def members_with(child: Child, role: Role, at: Any = None) -> Select[User]:
    """The people with ``role`` in ``child``'s circle at ``at`` (default: now), by name."""
    return (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.child_id == child.id, Membership.role == role)
        .where(active_membership_clause(at))
        .order_by(User.name, User.id)
    )


def children_of(user: User) -> Select[Child, Role]:
    """The children whose circle ``user`` is in now, with the user's role, by name."""
    return (
        select(Child, Membership.role)
        .join(Membership, Membership.child_id == Child.id)
        .where(Membership.user_id == user.id, active_membership_clause())
        .order_by(Child.name, Child.id)
    )


# --- school-wide permissions ---------------------------------------------------------------


def is_staff(user: User | AnonymousUserMixin) -> bool:
    """School staff: they may use the staff pages (checking a document, for one)."""
    return bool(getattr(user, "is_staff", False))


def navigation(user: User | AnonymousUserMixin) -> dict[str, bool]:
    """Which school-wide pages the main menu offers ``user``."""
    return {"school": may_manage_school(user), "check_documents": is_staff(user)}


def may_open_trajectory(user: User) -> bool:
    """Staff of a school may open a trajectory, and become its coach."""
    return is_staff(user) and user.school_id is not None


def may_manage_school(user: User | AnonymousUserMixin) -> bool:
    """School admins manage staff accounts and consent templates; they see no child content."""
    is_admin = getattr(user, "is_school_admin", False)  # an anonymous visitor has no flag
    return bool(is_admin and getattr(user, "school_id", None) is not None)


def log_denied(reason: str, child_id: int | None) -> None:
    """Security log of a refused request (no personal data beyond the account id)."""
    if not has_request_context():  # a loader called from a command, a job or a test
        log.warning("access denied: %s child=%s", reason, child_id)
        return
    log.warning(
        "access denied: %s user=%s child=%s endpoint=%s address=%s",
        reason,
        getattr(current_user, "id", None),
        child_id,
        request.endpoint,
        request.remote_addr,
    )


def staff_or_404(school: School, user_id: int) -> User:
    """A staff account of ``school`` by id; staff of another school, or a parent, gives 404."""
    user: User | None = db.session.scalar(
        select(User).where(User.id == user_id, User.school_id == school.id, User.is_staff.is_(True))
    )
    if user is None:
        abort(404)
    return user
