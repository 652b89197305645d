"""What a person sees of a child's meetings: one SQL query each, filtered by the circle's
rule (``policy.sees_meeting``: the school side sees every meeting, parents and the pupil the
ones they are invited to), never in Python."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, bindparam, exists, select, true

from app.circle import policy
from app.circle.models import Membership, Role, User
from app.circle.policy import Seat
from app.core.db import DbSession, rows, utcnow
from app.core.errors import NotFoundError
from app.meetings.models import Meeting, MeetingInvitee, MeetingState

#: Meetings shown on the child's page: the next few.
UPCOMING_ON_CHILD_PAGE = 3


@dataclass(frozen=True)
class SeenMeeting:
    """A meeting as one person sees it: the meeting, and whether they are invited."""

    meeting: Meeting
    invited: bool


def meeting_rule(role: Role, child: Any, viewer: Any) -> ColumnElement[bool]:
    """SQL for "person ``viewer``, in ``role``, sees this meeting of child ``child``"
    (``policy.sees_meeting``: the school side every meeting, anyone else those they are
    invited to). ``child`` and ``viewer`` are ids, or bound parameters of a statement built
    once per role (the child's timeline)."""
    if role in policy.SEES_EVERY_MEETING:
        return (Meeting.child_id == child) & true()
    invited = exists().where(
        MeetingInvitee.meeting_id == Meeting.id, MeetingInvitee.user_id == viewer
    )
    return (Meeting.child_id == child) & invited


def _visible(seat: Seat) -> ColumnElement[bool]:
    """SQL for "``seat`` sees this meeting of its child" (``policy.sees_meeting``)."""
    return meeting_rule(seat.role, seat.child.id, seat.user.id)


def meeting_clause(seat: Seat) -> ColumnElement[bool]:
    """SQL for "``seat`` sees this meeting of its child": the clause every list of meetings
    uses (the child's timeline too). Raises nothing."""
    return _visible(seat)


#: Meeting ``meeting`` of child ``child``, with whether user ``user`` is invited to it.
_MEETING = select(
    Meeting,
    exists()
    .where(MeetingInvitee.meeting_id == Meeting.id, MeetingInvitee.user_id == bindparam("user"))
    .label("invited"),
).where(Meeting.id == bindparam("meeting"), Meeting.child_id == bindparam("child"))


def meeting_or_404(session: DbSession, seat: Seat, meeting_id: int) -> SeenMeeting:
    """A meeting of ``seat``'s child that ``seat`` sees, with whether they are invited. One
    query. Raises NotFoundError for a missing id, another child's meeting and a meeting the
    person is not invited to (a parent's) alike: never a hint that it exists."""
    params = {"meeting": meeting_id, "child": seat.child.id, "user": seat.user.id}
    row = session.execute(_MEETING, params).first()
    if row is None or not policy.sees_meeting(seat, invited=bool(row.invited)):
        policy.log_denied("meeting_missing_or_not_visible", seat.child.id)
        raise NotFoundError("meeting_missing_or_not_visible")
    return SeenMeeting(row.Meeting, bool(row.invited))


def visible_meetings(seat: Seat) -> Select[Meeting]:
    """The meetings of ``seat``'s child that ``seat`` sees, the latest first."""
    return select(Meeting).where(_visible(seat)).order_by(Meeting.starts_at.desc(), Meeting.id)


def upcoming_for(session: DbSession, seat: Seat, limit: int = UPCOMING_ON_CHILD_PAGE) -> list[Any]:
    """The next planned meetings of ``seat``'s child that ``seat`` sees and that have not
    ended, soonest first, at most ``limit``, as rows (``id``, ``kind``, ``starts_at``). One
    query, its statement built once per role."""
    params = {"child_id": seat.child.id, "user_id": seat.user.id, "now": utcnow(), "limit": limit}
    return list(rows(session, _upcoming_statement(seat.role), params))


@lru_cache(maxsize=8)
def _upcoming_statement(role: Role) -> Select[*tuple[Any, ...]]:
    # Built once: building the clause costs more than running it. The person and the child
    # are bound parameters; the role decides the rule's shape.
    return (
        select(Meeting.id, Meeting.kind, Meeting.starts_at)
        .where(
            meeting_rule(role, bindparam("child_id"), bindparam("user_id")),
            Meeting.state == MeetingState.PLANNED,
            Meeting.ends_at > bindparam("now"),
        )
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(bindparam("limit"))
    )


def invitees_of(session: DbSession, meeting: Meeting) -> list[MeetingInvitee]:
    """Who is invited to ``meeting`` and still in the child's circle, by name. One query."""
    in_circle = (
        select(Membership.user_id)
        .where(Membership.child_id == meeting.child_id, policy.active_membership_clause())
        .scalar_subquery()
    )
    return sorted(
        session.scalars(
            select(MeetingInvitee).where(
                MeetingInvitee.meeting_id == meeting.id, MeetingInvitee.user_id.in_(in_circle)
            )
        ),
        key=lambda invitee: (invitee.user.name.casefold(), invitee.user_id),
    )


#: The roles of the home side of a circle (parents, the pupil).
_HOME_ROLES = [role for role in Role if not policy.is_school_side(role)]

#: SQL for "a parent or the pupil, with a place at ``now`` in the circle of child ``child``,
#: is invited to meeting ``meeting``" (bound parameters ``meeting``, ``child``, ``now``): a
#: column of a statement that asks more at once (meeting mode's item).
HOME_SIDE_INVITED = exists().where(
    MeetingInvitee.meeting_id == bindparam("meeting"),
    Membership.user_id == MeetingInvitee.user_id,
    Membership.child_id == bindparam("child"),
    Membership.role.in_(_HOME_ROLES),
    policy.active_membership_clause(bindparam("now")),
)

_HOME_SIDE_INVITED = select(HOME_SIDE_INVITED)


def home_side_invited(session: DbSession, meeting: Meeting) -> bool:
    """True when a parent or the pupil is invited to ``meeting``: then its agenda may hold
    only what everyone in the circle sees. One query."""
    params = {"meeting": meeting.id, "child": meeting.child_id, "now": utcnow()}
    return bool(session.scalar(_HOME_SIDE_INVITED, params))


class Attendee(NamedTuple):
    """An invitee as meeting mode's attendance shows them: user id, name, and whether
    marked present (None: not marked yet)."""

    user_id: int
    name: str
    attended: bool | None


#: Who is invited to meeting ``meeting`` and in the circle of child ``child`` at ``now``:
#: user id, name and attendance mark.
_ATTENDEES = (
    select(MeetingInvitee.user_id, User.name, MeetingInvitee.attended)
    .join(User, User.id == MeetingInvitee.user_id)
    .where(
        MeetingInvitee.meeting_id == bindparam("meeting"),
        MeetingInvitee.user_id.in_(
            select(Membership.user_id)
            .where(
                Membership.child_id == bindparam("child"),
                policy.active_membership_clause(bindparam("now")),
            )
            .scalar_subquery()
        ),
    )
)


def attendees(session: DbSession, meeting: Meeting) -> list[Attendee]:
    """:func:`invitees_of` as plain values, by name. One query."""
    params = {"meeting": meeting.id, "child": meeting.child_id, "now": utcnow()}
    found = [Attendee._make(row) for row in rows(session, _ATTENDEES, params)]
    return sorted(found, key=lambda a: (a.name.casefold(), a.user_id))


#: The circle of child ``child`` at ``now``: each member's user id, role and name, with
#: whether they are invited to meeting ``meeting`` (``invitee_id``, None if not) and their
#: attendance mark.
_CIRCLE = (
    select(
        Membership.user_id,
        Membership.role,
        User.name,
        MeetingInvitee.user_id.label("invitee_id"),
        MeetingInvitee.attended,
    )
    .join(User, User.id == Membership.user_id)
    .outerjoin(
        MeetingInvitee,
        (MeetingInvitee.user_id == Membership.user_id)
        & (MeetingInvitee.meeting_id == bindparam("meeting")),
    )
    .where(
        Membership.child_id == bindparam("child"),
        policy.active_membership_clause(bindparam("now")),
    )
)


def circle_at(session: DbSession, meeting: Meeting) -> list[Any]:
    """The circle of ``meeting``'s child now, each member with whether invited to
    ``meeting``: what :func:`attendees` and ``agreement_rows.owner_choices`` each ask, in one
    query, for a page that shows both (:func:`attendees_in`, ``agreement_rows.owners_in``)."""
    params = {"meeting": meeting.id, "child": meeting.child_id, "now": utcnow()}
    return list(rows(session, _CIRCLE, params))


def attendees_in(circle: list[Any]) -> list[Attendee]:
    """:func:`attendees` from the rows of :func:`circle_at`: the members invited, by name."""
    found = {r.user_id: Attendee(r.user_id, r.name, r.attended) for r in circle if r.invitee_id}
    return sorted(found.values(), key=lambda a: (a.name.casefold(), a.user_id))
