"""The one access policy of Beeldbrug: who may do what with a child, and with a school.

Who may do what with a child is decided by the role a person has in that child's circle,
looked up fresh on every request (so a removal takes effect at once) into a :class:`Seat`: who,
which child, which role. ``routes.for_child`` works the signed-in person's seat out once per
request and hands it to the view, which passes it to loaders and services. Someone outside the
circle has no seat and learns nothing: every loader answers 404, the school admin included. A
member whose role does not allow the action gets 403. Rows are looked up by id within their
child or school by :mod:`app.circle.loaders`.

Objects with an audience (clips, moments, meetings, plans) follow :mod:`app.circle.audience`,
built on the seat's role. Every endpoint declares which rule applies with a decorator
from :mod:`app.circle.routes`; an endpoint without one is refused.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import has_request_context, request
from flask_login import AnonymousUserMixin, current_user
from sqlalchemy import Select, bindparam, or_, select

from app.circle.consent_age import deciding_role
from app.circle.models import Child, Membership, Role, User
from app.core.db import db, utcnow
from app.core.errors import ForbiddenError, NotFoundError

log = logging.getLogger("beeldbrug.access")


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
    VIEW_MEETINGS = "view_meetings"  # the meetings the person sees (see ``sees_meeting``)
    PLAN_MEETING = "plan_meeting"  # plan, change or cancel a meeting; prepare its agenda
    CONTRIBUTE_TO_MEETING = "contribute_to_meeting"  # bring a question beforehand (invitees)
    VIEW_PREP_NOTES = "view_prep_notes"  # the school side's preparation notes of an agenda
    ACKNOWLEDGE_SUMMARY = "acknowledge_summary"  # sign that one has read a meeting's summary
    RUN_MEETING = "run_meeting"  # meeting mode: play the agenda, write the notes, attendance
    EXPORT_CHILD = "export_child"  # a zip of everything about the child the person may see
    VIEW_PLAN = "view_plan"  # the support plan: sent versions (the school side: the draft too)
    EDIT_PLAN = "edit_plan"  # edit the plan's draft, adopt into it, send it to the parents
    WRITE_PLAN_VIEW = "write_plan_view"  # a parent's own view of the plan, in their words
    SIGN_PLAN = "sign_plan"  # agree with (or decline) the action part (who: answers_plan)


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
    Action.VIEW_MEETINGS: frozenset({C, T, S, P, U}),
    Action.PLAN_MEETING: frozenset({C}),
    Action.CONTRIBUTE_TO_MEETING: frozenset({C, T, S, P, U}),
    Action.VIEW_PREP_NOTES: frozenset({C, T, S}),
    Action.ACKNOWLEDGE_SUMMARY: frozenset({P, U}),
    # Meeting mode is the school side's screen (see ``may_run_meeting``).
    Action.RUN_MEETING: frozenset({C, T, S}),
    # A parent's (or the pupil's) request for access (AVG art. 15), and the coach's copy for a
    # school the child moves to; each gets what their own seat sees, nothing more.
    Action.EXPORT_CHILD: frozenset({C, P, U}),
    Action.VIEW_PLAN: frozenset({C, T, S, P, U}),
    # The coach keeps the plan, as they lead the meetings it is built from; teachers and a
    # specialist read the draft (``sees_plan_drafts``) and bring their part in the meetings.
    Action.EDIT_PLAN: frozenset({C}),
    Action.WRITE_PLAN_VIEW: frozenset({P}),
    Action.SIGN_PLAN: frozenset({P, U}),
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


#: Who sees every meeting about the child, invited or not; everyone else in the circle (the
#: parents, the pupil) sees only the meetings they are invited to.
SEES_EVERY_MEETING: frozenset[Role] = frozenset({C, T, S})


def sees_meeting(seat: Seat, *, invited: bool) -> bool:
    """True when ``seat`` sees a meeting about its child: the school side always, anyone else
    when invited to it. Never raises."""
    return invited or seat.role in SEES_EVERY_MEETING


def may_contribute(seat: Seat, *, invited: bool) -> bool:
    """True when ``seat`` may bring a question or observation to a meeting: its invitees and
    the coach (who leads it), as the role's policy allows. Never raises."""
    return seat.may(Action.CONTRIBUTE_TO_MEETING) and (invited or seat.is_coach)


def may_run_meeting(seat: Seat) -> bool:
    """True when ``seat`` may open a meeting's meeting mode: the school side (coach,
    teachers, a specialist with a teacher's rights), never the parents or the pupil, not
    even read-only. Never raises.

    Why not parents, read-only: meeting mode is the one screen the school side runs on the
    laptop on the big screen, with the parents at the table (or sharing that screen in a
    call), so they see it as it is written without a login of their own. Opened on their own
    it would show what the school side is typing before the group has agreed on it, and the
    staff-only preparation notes on that screen would need a second, parents' version of the
    page. Parents read the outcome where it is settled: the
    meeting's page and the summary they acknowledge.
    """
    return seat.may(Action.RUN_MEETING)


def sees_plan_drafts(seat: Seat) -> bool:
    """True when ``seat`` sees the support plan's draft, not only the versions sent to the
    parents: the school side. Never raises."""
    return role_sees_plan_drafts(seat.role)


def role_sees_plan_drafts(role: Role) -> bool:
    """:func:`sees_plan_drafts` for anyone in ``role`` (a statement built once per role)."""
    return role in SCHOOL_SIDE


def answers_plan(seat: Seat) -> bool:
    """True when ``seat`` answers for themself on the support plan's action part: every
    guardian in the circle, and from the consent age (16) the pupil too. A ``check`` for
    ``routes.for_child``; an error in deciding raises (the route denies)."""
    if seat.role is Role.PARENT:
        return True
    return seat.role is Role.PUPIL and deciding_role(seat.child) is Role.PUPIL


def is_school_side(role: Role | None) -> bool:
    """True for a role on the school side of a circle (coach, teacher, specialist)."""
    return role in SCHOOL_SIDE


def becomes_staff_account(role: Role) -> bool:
    """True when an account created through an invitation with ``role`` is school staff."""
    return role in STAFF_ACCOUNT_ROLES


# --- circle membership --------------------------------------------------------------------


def active_membership_clause(at: Any = None) -> Any:
    """SQL for "this membership is active at ``at``" (default: now); ``at`` may be a bound
    parameter of a statement built once."""
    at = utcnow() if at is None else at
    return (Membership.active_from <= at) & or_(
        Membership.active_until.is_(None), Membership.active_until > at
    )


def role_in_circle(user: User, child_id: int) -> Role | None:
    """The role ``user`` has in the child's circle right now, or None. One query, asked afresh
    each time: a request works it out once, into its :class:`Seat`, and passes the seat on."""
    if not getattr(user, "is_authenticated", False):
        return None
    params = {"child_id": child_id, "user_id": user.id, "now": utcnow()}
    return db.session.scalar(_role_statement(), params)


@lru_cache(maxsize=1)
def _role_statement() -> Select[Role]:
    # Built once: every page of a child asks it, and building the clause costs more than
    # running it (SQLAlchemy's operators, some 300 function calls).
    return select(Membership.role).where(
        Membership.child_id == bindparam("child_id"),
        Membership.user_id == bindparam("user_id"),
        active_membership_clause(bindparam("now")),
    )


def _child_and_role(user: User, child_id: int) -> tuple[Child, Role] | None:
    """The child and ``user``'s role in its circle right now, or None outside it: one query."""
    if not getattr(user, "is_authenticated", False):
        return None
    params = {"child_id": child_id, "user_id": user.id, "now": utcnow()}
    row = db.session.execute(_child_role_statement(), params).first()
    return None if row is None else (row[0], row[1])


@lru_cache(maxsize=1)
def _child_role_statement() -> Select[Child, Role]:
    # Built once, as the role's statement: the seat of every child page asks it.
    return (
        select(Child, Membership.role)
        .join(Membership, Membership.child_id == Child.id)
        .where(
            Child.id == bindparam("child_id"),
            Membership.user_id == bindparam("user_id"),
            active_membership_clause(bindparam("now")),
        )
    )


@dataclass(frozen=True)
class Seat:
    """A person's place in one child's circle, for this request: who, which child, which role.

    Worked out once per request (:func:`seat_or_404` for the signed-in person through
    ``routes.for_child``, :func:`seat_for` for anyone else) and handed to loaders and
    services, which ask the seat instead of the database. A removal from the circle takes
    effect on the next request, which works out a new seat.
    """

    user: User
    child: Child
    role: Role

    def may(self, action: Action) -> bool:
        """True when this seat's role may do ``action`` (the :data:`POLICY` table)."""
        return role_allows(self.role, action)

    @property
    def permissions(self) -> frozenset[Action]:
        """Every action this seat may do: the flags a template needs."""
        return frozenset(action for action in Action if self.may(action))

    @property
    def is_school_side(self) -> bool:
        """True on the school side of the circle (coach, teacher, specialist)."""
        return is_school_side(self.role)

    @property
    def is_coach(self) -> bool:
        """True for the child's coach."""
        return self.role is Role.COACH

    def owns(self, owner_id: int | None) -> bool:
        """True when ``owner_id`` (an uploader's, an author's, a signer's) is this person."""
        return owner_id is not None and owner_id == self.user.id


def decides_for_child(seat: Seat) -> bool:
    """True when ``seat`` is one who decides for its child today: a parent under the consent
    age, from that age only the pupil (consent now, the support plan's action part next).
    A ``check`` for ``routes.for_child``; an error in deciding raises (the route denies)."""
    return seat.role is deciding_role(seat.child)


def seat_for(user: User, child: Child) -> Seat | None:
    """The seat ``user`` has in ``child``'s circle now, or None outside it: for asking about
    someone other than the signed-in person, and for jobs, commands and tests. One query.
    Never raises; an error while deciding gives None (denies)."""
    try:
        role = role_in_circle(user, child.id)
    except Exception:
        log.exception("access check failed; denying")
        return None
    return None if role is None else Seat(user, child, role)


def seat_or_404(child_id: int, user: User, action: Action = Action.VIEW_CHILD) -> Seat:
    """Load ``user``'s seat in a child's circle: 404 unless in the circle, 403 if the role may
    not ``action``. One query (the child with the role).

    Raises NotFoundError (outside the circle, no such child) or ForbiddenError (the role may
    not), which the web layer answers with 404 and 403; an error while deciding raises
    NotFoundError.
    """
    try:
        found = _child_and_role(user, child_id)
        child, role = found if found is not None else (None, None)
    except Exception:
        log.exception("access check failed; denying")
        role, child = None, None
    if child is None or role is None:
        log_denied("not_in_circle", child_id)
        raise NotFoundError("not_in_circle")
    if not role_allows(role, action):
        log_denied(f"role_{role}_may_not_{action}", child_id)
        raise ForbiddenError(f"role_{role}_may_not_{action}")
    return Seat(user, child, role)


def own_or_may(seat: Seat, owner_id: int | None, action: Action) -> None:
    """Let ``seat`` at an object of its child's when it is their own (``owner_id``) or their
    role may ``action`` (see everyone's); raises ForbiddenError otherwise."""
    if not (seat.owns(owner_id) or seat.may(action)):
        log_denied("not_own_record", seat.child.id)
        raise ForbiddenError("not_own_record")


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


def may_erase_child(user: User | AnonymousUserMixin, child: Child) -> bool:
    """Only a school admin of the child's own school erases a child: not the circle (whose
    coach could otherwise make a trajectory disappear), not another school's admin."""
    return may_manage_school(user) and getattr(user, "school_id", None) == child.school_id


def child_to_erase_or_404(user: User, child_id: int) -> Child:
    """The child ``child_id`` for ``user`` to erase; raises NotFoundError when it is not a
    child of the admin's own school (another school's child looks like none)."""
    child: Child | None = db.session.get(Child, child_id)
    if child is None or not may_erase_child(user, child):
        log_denied("not_admin_of_child_school", child_id)
        raise NotFoundError("child_not_of_admins_school")
    return child


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
