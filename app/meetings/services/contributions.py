"""Questions and observations the invitees bring to a meeting beforehand ("what I see at
home"), shown on the agenda with their author to everyone who sees the meeting."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, bindparam, select

from app.circle import policy
from app.circle.models import User
from app.circle.policy import Seat
from app.core import audit
from app.core.db import DbSession, rows, utcnow
from app.core.errors import ForbiddenError, RefusedError
from app.core.i18n import lazy_gettext as _l
from app.meetings.forms import CONTRIBUTION_MAX
from app.meetings.models import MeetingContribution, MeetingState
from app.meetings.services.queries import SeenMeeting

#: What was brought to meeting ``meeting``, oldest first: the text, the author's name (None
#: for a former member) and when.
_BROUGHT = (
    select(MeetingContribution.text, User.name.label("author"), MeetingContribution.created_at)
    .outerjoin(User, User.id == MeetingContribution.author_id)
    .where(MeetingContribution.meeting_id == bindparam("meeting"))
    .order_by(MeetingContribution.created_at, MeetingContribution.id)
)


def brought_to(session: DbSession, seen: SeenMeeting) -> list[Row[Any]]:
    """:func:`contributions_to` as rows (``text``, ``author``, ``created_at``), for the
    meeting's page. One query."""
    return list(rows(session, _BROUGHT, {"meeting": seen.meeting.id}))


def contributions_to(session: DbSession, seen: SeenMeeting) -> list[MeetingContribution]:
    """What people brought to the meeting, oldest first, with their authors. One query."""
    return list(
        session.scalars(
            select(MeetingContribution)
            .where(MeetingContribution.meeting_id == seen.meeting.id)
            .order_by(MeetingContribution.created_at, MeetingContribution.id)
        )
    )


def may_contribute_now(seat: Seat, seen: SeenMeeting) -> bool:
    """True when ``seat`` may bring something to the meeting now: an invitee (or the coach)
    of a planned meeting that has not ended yet."""
    meeting = seen.meeting
    return (
        policy.may_contribute(seat, invited=seen.invited)
        and meeting.state is MeetingState.PLANNED
        and meeting.ends_at > utcnow()
    )


def require_invited(seat: Seat, seen: SeenMeeting) -> None:
    """Raises ForbiddenError unless ``seat`` may bring something to this meeting at all: its
    invitees and the coach (``policy.may_contribute``)."""
    if not policy.may_contribute(seat, invited=seen.invited):
        policy.log_denied("not_invited_to_meeting", seat.child.id)
        raise ForbiddenError("not_invited_to_meeting")


def contribute(session: DbSession, seat: Seat, seen: SeenMeeting, text: str) -> MeetingContribution:
    """Add ``seat``'s question or observation to the meeting.

    Raises ForbiddenError for someone who is not invited (the coach excepted), RefusedError
    for an empty or too long text and for a meeting that was held, cancelled or has ended.
    """
    require_invited(seat, seen)
    if not may_contribute_now(seat, seen):
        raise RefusedError(_l("Questions can be added only before the meeting."))
    text = text.strip()
    if not text:
        raise RefusedError(_l("Please fill in this field."), field="text")
    if len(text) > CONTRIBUTION_MAX:
        raise RefusedError(
            _l("Use at most %(max)d characters.", max=CONTRIBUTION_MAX), field="text"
        )
    contribution = MeetingContribution(
        meeting_id=seen.meeting.id, child_id=seat.child.id, author_id=seat.user.id, text=text
    )
    session.add(contribution)
    session.flush()
    audit.record(
        session,
        "meeting_contribution_added",
        actor=seat.user,
        child=seat.child,
        obj=contribution,
        data={"meeting": seen.meeting.id},
    )
    return contribution
