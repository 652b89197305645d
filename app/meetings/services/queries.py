"""What a person sees of a child's meetings: one SQL query each, filtered by the circle's
rule (``policy.sees_meeting``: the school side sees every meeting, parents and the pupil the
ones they are invited to), never in Python."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, bindparam, exists, select, true

from app.circle import policy
from app.circle.models import Membership, Role
from app.circle.policy import Seat
from app.core.db import DbSession, utcnow
from app.core.errors import NotFoundError
from app.meetings.models import Meeting, MeetingInvitee, MeetingState

#: Meetings shown on the child's page: the next few.
UPCOMING_ON_CHILD_PAGE = 3


@dataclass(frozen=True)
class SeenMeeting:
    """A meeting as one person sees it: the meeting, and whether they are invited."""

    meeting: Meeting
    invited: bool


def _invited(seat: Seat) -> ColumnElement[bool]:
    return exists().where(
        MeetingInvitee.meeting_id == Meeting.id, MeetingInvitee.user_id == seat.user.id
    )


def _visible(seat: Seat) -> ColumnElement[bool]:
    """SQL for "``seat`` sees this meeting of its child" (``policy.sees_meeting``)."""
    sees_all = policy.sees_meeting(seat, invited=False)
    return (Meeting.child_id == seat.child.id) & (true() if sees_all else _invited(seat))


def meeting_clause(seat: Seat) -> ColumnElement[bool]:
    """SQL for "``seat`` sees this meeting of its child": the clause every list of meetings
    uses (the child's timeline too). Raises nothing."""
    return _visible(seat)


def meeting_or_404(session: DbSession, seat: Seat, meeting_id: int) -> SeenMeeting:
    """A meeting of ``seat``'s child that ``seat`` sees, with whether they are invited. One
    query. Raises NotFoundError for a missing id, another child's meeting and a meeting the
    person is not invited to (a parent's) alike: never a hint that it exists."""
    row = session.execute(
        select(Meeting, _invited(seat).label("invited")).where(
            Meeting.id == meeting_id, Meeting.child_id == seat.child.id
        )
    ).first()
    if row is None or not policy.sees_meeting(seat, invited=bool(row.invited)):
        policy.log_denied("meeting_missing_or_not_visible", seat.child.id)
        raise NotFoundError("meeting_missing_or_not_visible")
    return SeenMeeting(row.Meeting, bool(row.invited))


def visible_meetings(seat: Seat) -> Select[Meeting]:
    """The meetings of ``seat``'s child that ``seat`` sees, the latest first."""
    return select(Meeting).where(_visible(seat)).order_by(Meeting.starts_at.desc(), Meeting.id)


def upcoming_for(
    session: DbSession, seat: Seat, limit: int = UPCOMING_ON_CHILD_PAGE
) -> list[Meeting]:
    """The next planned meetings of ``seat``'s child that ``seat`` sees and that have not
    ended, soonest first, at most ``limit``. One query, its statement built once per role."""
    params = {"child_id": seat.child.id, "user_id": seat.user.id, "now": utcnow(), "limit": limit}
    return list(session.scalars(_upcoming_statement(seat.role), params))


@lru_cache(maxsize=8)
def _upcoming_statement(role: Role) -> Select[Meeting]:
    # Built once: building the clause costs more than running it. The seat's person and
    # child are bound parameters; the role decides the clause's shape.
    asker = Seat(
        cast(Any, SimpleNamespace(id=bindparam("user_id"))),
        cast(Any, SimpleNamespace(id=bindparam("child_id"))),
        role,
    )
    return (
        select(Meeting)
        .where(
            _visible(asker),
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


def home_side_invited(session: DbSession, meeting: Meeting) -> bool:
    """True when a parent or the pupil is invited to ``meeting``: then its agenda may hold
    only what everyone in the circle sees. One query."""
    roles = [role for role in Role if not policy.is_school_side(role)]
    found: int | None = session.scalar(
        select(MeetingInvitee.id)
        .join(
            Membership,
            (Membership.user_id == MeetingInvitee.user_id)
            & (Membership.child_id == meeting.child_id),
        )
        .where(
            MeetingInvitee.meeting_id == meeting.id,
            Membership.role.in_(roles),
            policy.active_membership_clause(),
        )
        .limit(1)
    )
    return found is not None
