"""A meeting's agenda: fragments (or moments in a clip) of the child in the order they are
watched, a home and a school fragment side by side where the coach pairs them, and a
preparation note per item for the school side only.

Clips are reached through clips' public service (``app.clips.services.picking``): the same
audience and consent rules as the clip pages. While parents (or the pupil) are invited, only
what everyone in the circle sees can be on the agenda, and the page says why another cannot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.circle import policy
from app.circle.policy import Action, Seat
from app.clips.models import Clip, Moment
from app.clips.services import picking
from app.core import audit
from app.core.concurrency import expect_version, flush_versioned
from app.core.db import DbSession
from app.core.errors import ForbiddenError, NotFoundError, RefusedError
from app.core.i18n import lazy_gettext as _l
from app.meetings.models import AgendaItem, Meeting, MeetingState
from app.meetings.services.queries import home_side_invited

NOT_PLANNED = _l("The agenda of a meeting that is no longer planned cannot be changed.")
HIDDEN_FROM_PARENTS = _l(
    "Only the school team sees this fragment, and parents are invited to this meeting. "
    "Share it with everyone in the circle first, or choose another."
)
PAIR_OTHER_SETTING = _l(
    "Pair fragments from different settings: one from home beside one from school."
)


@dataclass(frozen=True)
class Pick:
    """A choice of the agenda form: a clip or a moment, with why it cannot be chosen."""

    value: str  # "clip-<id>" or "moment-<id>"
    clip: Clip
    moment: Moment | None
    refused: Any = None  # a sentence, when it cannot be put on this agenda


@dataclass(frozen=True)
class ItemData:
    pick: str
    pair: str | None
    prep_note: str


def agenda_of(session: DbSession, meeting: Meeting) -> list[AgendaItem]:
    """The agenda's items in order, with their clips and moments (and the moments' labels of
    the school's own, which an item's title names). One query."""
    return list(
        session.scalars(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting.id)
            .options(
                joinedload(AgendaItem.clip),
                joinedload(AgendaItem.pair_clip),
                joinedload(AgendaItem.moment).joinedload(Moment.custom_tag),
            )
            .order_by(AgendaItem.position, AgendaItem.id)
        )
    )


def items_hidden_from_parents(session: DbSession, meeting: Meeting) -> list[AgendaItem]:
    """The items of the agenda that parents may not see (a fragment, a pair or a moment not
    shown to everyone in the circle)."""
    return [item for item in agenda_of(session, meeting) if not _reaches_parents(item)]


def _reaches_parents(item: AgendaItem) -> bool:
    if not picking.reaches_parents(item.clip):
        return False
    if item.pair_clip is not None and not picking.reaches_parents(item.pair_clip):
        return False
    return item.moment is None or picking.moment_reaches_parents(item.moment)


def picks_for(session: DbSession, seat: Seat, meeting: Meeting) -> list[Pick]:
    """What the coach may choose from: the child's ready clips and their moments that the
    seat may watch, each with the reason it cannot go on this agenda (or None). Two
    queries, three with parents invited."""
    clips = picking.candidate_clips(session, seat)
    parents = home_side_invited(session, meeting)
    picks = [
        Pick(
            f"clip-{clip.id}",
            clip,
            None,
            HIDDEN_FROM_PARENTS if parents and not picking.reaches_parents(clip) else None,
        )
        for clip in clips
    ]
    for moment in picking.candidate_moments(session, seat, clips):
        hidden = parents and not picking.moment_reaches_parents(moment)
        picks.append(
            Pick(
                f"moment-{moment.id}", moment.clip, moment, HIDDEN_FROM_PARENTS if hidden else None
            )
        )
    return picks


def _resolve(seat: Seat, value: str, field: str) -> tuple[Clip, Moment | None]:
    """The clip (and moment) a form's choice names, within the seat's child. Raises
    RefusedError for anything else: another child's, one the seat may not watch, nonsense."""
    kind, _, number = (value or "").partition("-")
    try:
        object_id = int(number)
        if kind == "clip":
            return picking.clip_to_pick(seat, object_id), None
        if kind == "moment":
            moment = picking.moment_to_pick(seat, object_id)
            return moment.clip, moment
    except (ValueError, NotFoundError):
        pass
    raise RefusedError(
        _l("Choose a fragment or moment of %(name)s from the list.", name=seat.child.name),
        field=field,
    )


def _may_prepare(seat: Seat, meeting: Meeting) -> None:
    if not seat.may(Action.PLAN_MEETING):
        policy.log_denied("may_not_prepare_meeting", seat.child.id)
        raise ForbiddenError("may_not_prepare_meeting")
    if meeting.child_id != seat.child.id:
        raise NotFoundError("meeting_of_another_child")
    if meeting.state is not MeetingState.PLANNED:
        raise RefusedError(NOT_PLANNED)


def add_item(session: DbSession, seat: Seat, meeting: Meeting, data: ItemData) -> AgendaItem:
    """Put a fragment or moment (``data.pick``), optionally paired, at the end of the agenda.

    Raises ForbiddenError when the seat may not prepare meetings, RefusedError (naming the
    field) for a meeting no longer planned, a choice of another child's or not watchable by
    the seat, a pair from the same setting, and, while parents are invited, anything they
    may not see; nothing is stored then.
    """
    _may_prepare(seat, meeting)
    clip, moment = _resolve(seat, data.pick, "pick")
    pair = None
    if data.pair:
        pair, pair_moment = _resolve(seat, data.pair, "pair")
        if pair_moment is not None or pair.id == clip.id or pair.source == clip.source:
            raise RefusedError(PAIR_OTHER_SETTING, field="pair")
    if home_side_invited(session, meeting):
        if not picking.reaches_parents(clip) or (
            moment is not None and not picking.moment_reaches_parents(moment)
        ):
            raise RefusedError(HIDDEN_FROM_PARENTS, field="pick")
        if pair is not None and not picking.reaches_parents(pair):
            raise RefusedError(HIDDEN_FROM_PARENTS, field="pair")
    last = session.scalar(
        select(func.max(AgendaItem.position)).where(AgendaItem.meeting_id == meeting.id)
    )
    item = AgendaItem(
        meeting_id=meeting.id,
        child_id=seat.child.id,
        position=(last or 0) + 1,
        clip_id=clip.id,
        moment_id=moment.id if moment is not None else None,
        pair_clip_id=pair.id if pair is not None else None,
        prep_note=data.prep_note.strip(),
    )
    session.add(item)
    session.flush()
    audit.record(
        session,
        "agenda_item_added",
        actor=seat.user,
        child=seat.child,
        obj=item,
        data={"meeting": meeting.id, "clip": clip.id, "pair": item.pair_clip_id},
    )
    return item


def item_or_404(session: DbSession, meeting: Meeting, item_id: int) -> AgendaItem:
    """An item of ``meeting``'s agenda by id; another meeting's item gives NotFoundError."""
    item = session.scalar(
        select(AgendaItem).where(AgendaItem.id == item_id, AgendaItem.meeting_id == meeting.id)
    )
    if item is None:
        raise NotFoundError("agenda_item_not_in_meeting")
    return item


def move_item(
    session: DbSession, seat: Seat, meeting: Meeting, item: AgendaItem, step: int
) -> bool:
    """Move ``item`` one place up (``step`` -1) or down (+1); False at either end. Raises as
    :func:`add_item` does for the seat and the meeting."""
    _may_prepare(seat, meeting)
    items = agenda_of(session, meeting)
    at = next(i for i, each in enumerate(items) if each.id == item.id)
    other = at + (1 if step > 0 else -1)
    if not 0 <= other < len(items):
        return False
    items[at], items[other] = items[other], items[at]
    for position, each in enumerate(items, start=1):
        if each.position != position:
            each.position = position
    flush_versioned(session)
    audit.record(
        session,
        "agenda_reordered",
        actor=seat.user,
        child=seat.child,
        obj=meeting,
        data={"order": [each.id for each in items]},
    )
    return True


def remove_item(session: DbSession, seat: Seat, meeting: Meeting, item: AgendaItem) -> None:
    """Take ``item`` off the agenda. Raises as :func:`add_item` does for the seat and the
    meeting."""
    _may_prepare(seat, meeting)
    audit.record(
        session,
        "agenda_item_removed",
        actor=seat.user,
        child=seat.child,
        obj=item,
        data={"meeting": meeting.id},
    )
    session.delete(item)
    session.flush()


def update_note(
    session: DbSession, seat: Seat, meeting: Meeting, item: AgendaItem, note: str, *, version: Any
) -> bool:
    """Change ``item``'s preparation note; False when it is the same. Raises as
    :func:`add_item` does for the seat and the meeting, and StaleEditError when someone
    saved the item since the form was opened (the person's text stays in their form)."""
    _may_prepare(seat, meeting)
    expect_version(item, version)
    note = note.strip()
    if note == item.prep_note:
        return False
    item.prep_note = note
    flush_versioned(session)
    audit.record(session, "agenda_note_changed", actor=seat.user, child=seat.child, obj=item)
    return True
