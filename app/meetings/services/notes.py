"""Meeting mode: what the group writes per agenda item ("what do we see", "what does the
child need", the moment of the item a need cites) and who attended.

Only the school side writes here (``policy.may_run_meeting`` says why). Every write goes
through one function per kind, :func:`save_notes` and :func:`mark_attendance`, and each of
them first through :func:`require_writable`: the one place that decides whether a meeting
still takes notes, so that a lock on finalised meetings is added there once.

The first note or attendance mark written once the meeting has begun moves it from planned
to held (:func:`_held`): it took place, so its time, invitees and agenda stay as they were.

Notes are saved as they are typed, so saves come often and from more than one laptop: each
item's notes carry a version (``app.core.concurrency``), and a save made on an older one is
refused with the person's text kept, never written over someone else's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.circle import policy
from app.circle.policy import Seat
from app.clips.models import Moment
from app.clips.services import picking
from app.clips.services.picking import MomentRow
from app.core import audit
from app.core.concurrency import (
    StaleEditError,
    expect_version,
    flush_versioned,
    parse_version,
)
from app.core.db import DbSession, utcnow
from app.core.errors import ForbiddenError, NotFoundError, RefusedError
from app.core.i18n import lazy_gettext as _l
from app.meetings.models import AgendaItem, ItemNotes, Meeting, MeetingInvitee, MeetingState
from app.meetings.services.queries import home_side_invited, invitees_of
from app.meetings.services.steps import ShownClip

#: The longest note of either kind, in characters.
NOTES_MAX = 4000

#: The states in which a meeting takes notes and attendance.
WRITABLE_STATES = frozenset({MeetingState.PLANNED, MeetingState.HELD})

NOT_WRITABLE = _l("This meeting is no longer open: its notes and attendance cannot be changed.")
MOMENT_NOT_OF_ITEM = _l("Choose a moment of this item's fragments from the list.")
MOMENT_NEEDS_TEXT = _l("Write what the child needs before citing a moment for it.")
NOT_INVITED = _l("Mark only the people invited to this meeting.")


@dataclass(frozen=True)
class NotesData:
    """What a notes form sends: both texts and the cited moment's id (None: no moment)."""

    seen: str
    need: str
    moment_id: int | None


def is_writable(meeting: Meeting) -> bool:
    """True while ``meeting`` takes notes and attendance (planned or held)."""
    return meeting.state in WRITABLE_STATES


def require_writable(seat: Seat, meeting: Meeting) -> None:
    """The gate of every write in meeting mode. Raises ForbiddenError when ``seat`` may not
    run meetings, NotFoundError for another child's meeting, and RefusedError for a meeting
    that no longer takes notes (cancelled or finalised)."""
    if not policy.may_run_meeting(seat):
        policy.log_denied("may_not_run_meeting", seat.child.id)
        raise ForbiddenError("may_not_run_meeting")
    if meeting.child_id != seat.child.id:
        raise NotFoundError("meeting_of_another_child")
    if not is_writable(meeting):
        raise RefusedError(NOT_WRITABLE)


def notes_of(session: DbSession, meeting: Meeting) -> dict[int, ItemNotes]:
    """The notes of ``meeting``'s agenda items by item id, with their cited moments. One
    query."""
    rows = session.scalars(
        select(ItemNotes)
        .where(ItemNotes.meeting_id == meeting.id)
        .options(joinedload(ItemNotes.need_moment))
    )
    return {row.item_id: row for row in rows}


def moments_for(
    session: DbSession,
    seat: Seat,
    meeting: Meeting,
    clip: ShownClip,
    pair: ShownClip | None = None,
    *,
    parents: bool | None = None,
) -> dict[int, list[MomentRow]]:
    """The moments shown in meeting mode for an item's clip and the clip beside it (None:
    none; both as the item's step reads them, ``steps.item_of``), clips ``seat`` may watch,
    as plain values by clip id and time: those ``seat`` sees, and while parents are invited
    only those shown to the whole circle (they watch the same screen). ``parents``: whether
    they are, when the caller knows (``queries.HOME_SIDE_INVITED``). Two queries (one with
    ``parents``)."""
    if parents is None:
        parents = home_side_invited(session, meeting)
    clips = [clip] if pair is None else [clip, pair]
    by_clip: dict[int, list[MomentRow]] = {c.id: [] for c in clips}
    reaching = {c.id: picking.reaches_parents(c) for c in clips} if parents else {}
    pair_id = pair.id if pair is not None else None
    for moment in picking.candidate_rows(session, seat, clip.id, pair_id):
        if parents and not picking.shown_to_parents(moment, reaching[moment.clip_id]):
            continue
        by_clip[moment.clip_id].append(moment)
    return by_clip


def _cited_moment(
    session: DbSession, seat: Seat, meeting: Meeting, item: AgendaItem, moment_id: int
) -> Moment:
    """The moment a need cites: one of the item's fragments (or its pair), that ``seat``
    sees and, while parents are invited, that they see too. RefusedError otherwise."""
    try:
        moment = picking.moment_to_pick(seat, moment_id)
    except NotFoundError:
        raise RefusedError(MOMENT_NOT_OF_ITEM, field="moment") from None
    if moment.clip_id not in {item.clip_id, item.pair_clip_id}:
        raise RefusedError(MOMENT_NOT_OF_ITEM, field="moment")
    if home_side_invited(session, meeting) and not picking.moment_reaches_parents(moment):
        raise RefusedError(MOMENT_NOT_OF_ITEM, field="moment")
    return moment


def save_notes(
    session: DbSession,
    seat: Seat,
    meeting: Meeting,
    item: AgendaItem,
    data: NotesData,
    *,
    version: object,
) -> ItemNotes:
    """Save what the group sees and what the child needs for ``item`` (and the cited
    moment), made on ``version`` of its notes (0 before the first save).

    Raises as :func:`require_writable` does; NotFoundError for an item of another meeting;
    RefusedError (naming the field) for a moment that is not one of the item's or not
    shown to everyone watching, or a cited moment without a need; StaleEditError when
    someone saved the notes since ``version`` (the caller rolls back; nothing is stored).
    """
    require_writable(seat, meeting)
    if item.meeting_id != meeting.id:
        raise NotFoundError("agenda_item_not_in_meeting")
    seen, need = data.seen.strip(), data.need.strip()
    moment = None
    if data.moment_id is not None:
        moment = _cited_moment(session, seat, meeting, item, data.moment_id)
        if not need:
            raise RefusedError(MOMENT_NEEDS_TEXT, field="need")
    row = session.scalar(select(ItemNotes).where(ItemNotes.item_id == item.id))
    if row is None:
        if parse_version(version) != 0:  # 0: the form was opened before any save
            raise StaleEditError()
        row = ItemNotes(item_id=item.id, meeting_id=meeting.id, child_id=seat.child.id)
        session.add(row)
    else:
        expect_version(row, version)
    moment_id = moment.id if moment is not None else None
    if row.id is not None and (row.seen, row.need, row.need_moment_id) == (seen, need, moment_id):
        return row
    row.seen, row.need, row.need_moment_id = seen, need, moment_id
    row.updated_at = utcnow()
    row.updated_by_id = seat.user.id
    try:
        flush_versioned(session)
    except IntegrityError as twice:  # two first saves of the same item at the same moment
        raise StaleEditError() from twice
    _held(session, seat, meeting)
    return row


def _held(session: DbSession, seat: Seat, meeting: Meeting) -> None:
    """Mark a planned meeting that has begun as held, once (audited): the group is writing
    in it. A meeting written in before its start (a try-out of the screen) stays planned."""
    if meeting.state is not MeetingState.PLANNED or meeting.starts_at > utcnow():
        return
    meeting.state = MeetingState.HELD
    session.flush()
    audit.record(session, "meeting_held", actor=seat.user, child=seat.child, obj=meeting)


def mark_attendance(
    session: DbSession, seat: Seat, meeting: Meeting, present: Iterable[int]
) -> list[MeetingInvitee]:
    """Mark who of ``meeting``'s invitees (still in the circle) attended: those whose user id
    is in ``present``, the others as absent. Returns the invitees whose mark changed.

    Raises as :func:`require_writable` does, and RefusedError when ``present`` names
    someone not invited (nothing is changed then).
    """
    require_writable(seat, meeting)
    invitees = invitees_of(session, meeting)
    wanted = set(present)
    if wanted - {invitee.user_id for invitee in invitees}:
        raise RefusedError(NOT_INVITED, field="present")
    changed = []
    for invitee in invitees:
        attended = invitee.user_id in wanted
        if invitee.attended is not attended:
            invitee.attended = attended
            changed.append(invitee)
    if changed:
        session.flush()
        audit.record(
            session,
            "meeting_attendance_marked",
            actor=seat.user,
            child=seat.child,
            obj=meeting,
            data={"present": sorted(wanted)},
        )
    if wanted:
        _held(session, seat, meeting)
    return changed
