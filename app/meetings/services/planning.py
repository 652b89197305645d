"""Planning a meeting: when, where, around which question, with whom; changing and
cancelling it. Every change the invitees should know of is sent to them again as a calendar
update (``notices``); a save made on an older version of the meeting is refused
(``app.core.concurrency``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, delete, func, select

from app.circle import policy
from app.circle.models import Membership, Role, User
from app.circle.policy import Action, Seat
from app.core import audit
from app.core.clock import display_zone
from app.core.concurrency import expect_version, flush_versioned
from app.core.db import DbSession, utcnow
from app.core.errors import ForbiddenError, RefusedError
from app.core.i18n import lazy_gettext as _l
from app.meetings.models import (
    AgendaItem,
    Meeting,
    MeetingInvitee,
    MeetingKind,
    MeetingState,
)
from app.meetings.services import agenda, notices
from app.people import services as people

#: How far ahead a meeting can be planned.
PLAN_AHEAD = timedelta(days=2 * 366)
#: The longest meeting.
LONGEST = timedelta(hours=8)

NOT_PLANNED = _l("This meeting is no longer planned, so it cannot be changed.")


@dataclass(frozen=True)
class MeetingData:
    """A meeting as the coach plans it: times on the school's calendar."""

    kind: MeetingKind
    day: date
    start: time
    end: time
    place: str
    guiding_question: str
    invitee_ids: frozenset[int]


def local_instant(day: date, at: time) -> datetime:
    """``day`` at ``at`` on the school's calendar, as a UTC instant. Raises RefusedError for
    a time the clocks skip (the hour lost in March)."""
    zone = display_zone()
    local = datetime.combine(day, at, tzinfo=zone)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise RefusedError(
            _l("This time does not exist on that day: the clocks go forward."), field="start"
        )
    return instant


def members_to_invite(session: DbSession, seat: Seat) -> list[Membership]:
    """The people who can be invited: the child's circle now, coaches first."""
    return people.circle(session, seat.child)


def _checked(session: DbSession, seat: Seat, data: MeetingData) -> tuple[datetime, datetime]:
    """The meeting's start and end as UTC instants, after checking what the data must
    satisfy. Raises RefusedError, naming the field."""
    starts_at = local_instant(data.day, data.start)
    ends_at = local_instant(data.day, data.end)
    if ends_at <= starts_at:
        raise RefusedError(_l("The end must come after the start."), field="end")
    if ends_at - starts_at > LONGEST:
        raise RefusedError(_l("A meeting lasts at most 8 hours."), field="end")
    now = utcnow()
    if starts_at <= now:
        raise RefusedError(_l("This moment has passed. Choose a time in the future."), field="day")
    if starts_at > now + PLAN_AHEAD:
        raise RefusedError(_l("Plan a meeting at most two years ahead."), field="day")
    if not data.place.strip():
        raise RefusedError(_l("Please fill in this field."), field="place")
    if not data.guiding_question.strip():
        raise RefusedError(_l("Please fill in this field."), field="guiding_question")
    if not data.invitee_ids:
        raise RefusedError(_l("Invite at least one person."), field="invitees")
    in_circle = {m.user_id for m in members_to_invite(session, seat)}
    if not data.invitee_ids <= in_circle:
        raise RefusedError(
            _l("Only people in the circle of %(name)s can be invited.", name=seat.child.name),
            field="invitees",
        )
    return starts_at, ends_at


def _may_plan(seat: Seat) -> None:
    if not seat.may(Action.PLAN_MEETING):
        policy.log_denied("may_not_plan_meeting", seat.child.id)
        raise ForbiddenError("may_not_plan_meeting")


def plan_meeting(session: DbSession, seat: Seat, data: MeetingData) -> Meeting:
    """Plan a meeting about ``seat``'s child, organised by ``seat``'s person (a coach), and
    send every invitee the invitation with its calendar file.

    Raises ForbiddenError when the seat may not plan, RefusedError (naming the field) for a
    time in the past, an end not after the start, no invitees or an invitee outside the
    circle; nothing is stored then.
    """
    _may_plan(seat)
    starts_at, ends_at = _checked(session, seat, data)
    meeting = Meeting(
        child_id=seat.child.id,
        kind=data.kind,
        state=MeetingState.PLANNED,
        starts_at=starts_at,
        ends_at=ends_at,
        place=data.place.strip(),
        guiding_question=data.guiding_question.strip(),
        organizer_id=seat.user.id,
        ical_uid=f"meeting-{uuid.uuid4().hex}@beeldbrug",
        ical_sequence=0,
    )
    session.add(meeting)
    session.flush()
    for user_id in sorted(data.invitee_ids):
        session.add(MeetingInvitee(meeting_id=meeting.id, user_id=user_id))
    session.flush()
    audit.record(
        session,
        "meeting_planned",
        actor=seat.user,
        child=seat.child,
        obj=meeting,
        data={"kind": meeting.kind.value, "invitees": sorted(data.invitee_ids)},
    )
    notices.send_invitations(session, meeting, _users(session, data.invitee_ids))
    return meeting


def update_meeting(
    session: DbSession, seat: Seat, meeting: Meeting, data: MeetingData, *, version: object
) -> list[str]:
    """Change a planned meeting; returns the names of what changed (audited). The invitees
    get the update (a higher SEQUENCE, the same UID); someone no longer invited gets a
    cancellation; nobody gets anything when nothing changed.

    Raises ForbiddenError when the seat may not plan, RefusedError for a meeting that is no
    longer planned, for the checks of :func:`plan_meeting`, and for parents newly invited
    while the agenda holds what they may not see; StaleEditError (a RefusedError) when the
    form started from an older version than the stored one.
    """
    _may_plan(seat)
    if meeting.state is not MeetingState.PLANNED:
        raise RefusedError(NOT_PLANNED)
    expect_version(meeting, version)
    starts_at, ends_at = _checked(session, seat, data)
    before = {i.user_id for i in session.scalars(_invitees(meeting))}
    values = {
        "kind": data.kind,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "place": data.place.strip(),
        "guiding_question": data.guiding_question.strip(),
    }
    changed = [name for name, value in values.items() if getattr(meeting, name) != value]
    added, removed = data.invitee_ids - before, before - data.invitee_ids
    if added:
        _agenda_fits_new_invitees(session, seat, meeting, added)
    if not changed and not added and not removed:
        return []
    for name in changed:
        setattr(meeting, name, values[name])
    meeting.ical_sequence += 1
    flush_versioned(session)  # first, before any query flushes it unguarded
    if removed:
        session.execute(
            delete(MeetingInvitee).where(
                MeetingInvitee.meeting_id == meeting.id, MeetingInvitee.user_id.in_(removed)
            )
        )
    for user_id in sorted(added):
        session.add(MeetingInvitee(meeting_id=meeting.id, user_id=user_id))
    session.flush()
    fields = changed + (["invitees"] if added or removed else [])
    audit.record(
        session,
        "meeting_changed",
        actor=seat.user,
        child=seat.child,
        obj=meeting,
        data={"fields": fields, "invited": sorted(added), "uninvited": sorted(removed)},
    )
    notices.send_invitations(session, meeting, _users(session, data.invitee_ids), update=True)
    if removed:
        notices.send_cancellations(session, meeting, _users(session, removed), partial=True)
    return fields


def cancel_meeting(session: DbSession, seat: Seat, meeting: Meeting, *, version: object) -> None:
    """Cancel a planned meeting: every invitee gets the calendar cancellation.

    Raises ForbiddenError when the seat may not plan, RefusedError when the meeting is no
    longer planned (cancelling twice included), StaleEditError when the meeting changed
    since the person opened the page.
    """
    _may_plan(seat)
    if meeting.state is not MeetingState.PLANNED:
        raise RefusedError(NOT_PLANNED)
    expect_version(meeting, version)
    meeting.state = MeetingState.CANCELLED
    meeting.cancelled_at = utcnow()
    meeting.ical_sequence += 1
    flush_versioned(session)
    audit.record(session, "meeting_cancelled", actor=seat.user, child=seat.child, obj=meeting)
    invited = {i.user_id for i in session.scalars(_invitees(meeting))}
    notices.send_cancellations(session, meeting, _users(session, invited))


def _agenda_fits_new_invitees(
    session: DbSession, seat: Seat, meeting: Meeting, added: frozenset[int]
) -> None:
    """Refuse to invite parents (or the pupil) while the agenda holds a fragment they may not
    see: the coach shares it with the circle, or takes it off the agenda, first."""
    home_side = session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(
            Membership.child_id == seat.child.id,
            Membership.user_id.in_(added),
            Membership.role.in_([Role.PARENT, Role.PUPIL]),
            policy.active_membership_clause(),
        )
    )
    if not home_side:
        return
    if agenda.items_hidden_from_parents(session, meeting):
        raise RefusedError(
            _l(
                "The agenda holds fragments that only the school team sees. Share them with "
                "everyone in the circle, or take them off the agenda, before inviting parents."
            ),
            field="invitees",
        )


def _invitees(meeting: Meeting) -> Select[MeetingInvitee]:
    return select(MeetingInvitee).where(MeetingInvitee.meeting_id == meeting.id)


def _users(session: DbSession, ids: set[int] | frozenset[int]) -> list[User]:
    if not ids:
        return []
    return list(session.scalars(select(User).where(User.id.in_(ids)).order_by(User.name)))


def agenda_count(session: DbSession, meeting: Meeting) -> int:
    """How many items the meeting's agenda holds. One query."""
    return (
        session.scalar(
            select(func.count()).select_from(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
        )
        or 0
    )
