"""An agenda item as meeting mode's step draws it, read in one query as plain values: its
clips, its moment, its notes with the moment their need cites, and whether parents watch.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased

from app.circle.audience import Audience
from app.clips.models import Clip, Moment, Source
from app.core.db import DbSession, rows, utcnow
from app.core.errors import NotFoundError
from app.meetings.models import AgendaItem, ItemNotes, Meeting
from app.meetings.services import queries

#: The columns of a clip that an item's step draws (:class:`ShownClip`).
_CLIP_COLUMNS = (
    "id",
    "title",
    "source",
    "duration_s",
    "poster_key",
    "width",
    "height",
    "audience",
    "shows_others",
    "others_cleared_at",
)

_PAIR = aliased(Clip)
_CITED = aliased(Moment)

#: One item of a meeting with what its step draws as plain columns: its clips, its moment,
#: its notes (None: none yet) with the moment their need cites, and whether parents watch
#: (``queries.HOME_SIDE_INVITED``). One query.
_ITEM = (
    select(
        AgendaItem.id,
        AgendaItem.clip_id,
        AgendaItem.pair_clip_id,
        AgendaItem.prep_note,
        *(getattr(Clip, name) for name in _CLIP_COLUMNS),
        *(getattr(_PAIR, name).label(f"pair_{name}") for name in _CLIP_COLUMNS),
        Moment.clip_id.label("moment_clip_id"),
        Moment.start_s.label("moment_start_s"),
        ItemNotes.id.label("notes_id"),
        ItemNotes.version,
        ItemNotes.seen,
        ItemNotes.need,
        ItemNotes.need_moment_id,
        _CITED.clip_id.label("cited_clip_id"),
        _CITED.start_s.label("cited_start_s"),
        queries.HOME_SIDE_INVITED.label("home_side"),
    )
    .join(Clip, Clip.id == AgendaItem.clip_id)
    .outerjoin(_PAIR, _PAIR.id == AgendaItem.pair_clip_id)
    .outerjoin(Moment, Moment.id == AgendaItem.moment_id)
    .outerjoin(ItemNotes, ItemNotes.item_id == AgendaItem.id)
    .outerjoin(_CITED, _CITED.id == ItemNotes.need_moment_id)
    .where(AgendaItem.id == bindparam("item_id"), AgendaItem.meeting_id == bindparam("meeting"))
)


class ShownClip(NamedTuple):
    """A clip of an item's step, as its player draws it, and who it reaches (the values of
    ``picking.reaches_parents``)."""

    id: int
    title: str
    source: Source
    duration_s: float | None
    poster_key: str | None
    width: int | None
    height: int | None
    audience: Audience
    shows_others: bool
    others_cleared_at: datetime | None


class MomentAt(NamedTuple):
    """A moment an item's step plays from: its clip and its start."""

    clip_id: int
    start_s: float


class ShownItem(NamedTuple):
    """An agenda item as its step draws it: its clip, the clip beside it (None: none) and
    the moment it starts at (None: the clip's start); and whether a parent or the pupil is
    invited to its meeting (``home_side``)."""

    id: int
    clip_id: int
    pair_clip_id: int | None
    prep_note: str
    clip: ShownClip
    pair_clip: ShownClip | None
    moment: MomentAt | None
    home_side: bool


class ShownNotes(NamedTuple):
    """An item's saved notes as its step draws them, with the moment their need cites."""

    id: int
    version: int
    seen: str
    need: str
    need_moment_id: int | None
    need_moment: MomentAt | None


def item_of(
    session: DbSession, meeting: Meeting, item_id: int
) -> tuple[ShownItem, ShownNotes | None]:
    """Item ``item_id`` of ``meeting`` with its clips and moment, and its notes if any (the
    caller has checked the item is shown, :meth:`StepNav.index_of`)."""
    params = {"item_id": item_id, "meeting": meeting.id, "child": meeting.child_id, "now": utcnow()}
    row = next(iter(rows(session, _ITEM, params)), None)
    if row is None:
        raise NotFoundError("agenda_item_not_in_meeting")
    values, first, size = tuple(row), 4, len(_CLIP_COLUMNS)  # the clips' columns follow 4
    clip = ShownClip(*values[first : first + size])
    pair = None
    if row.pair_clip_id is not None:
        pair = ShownClip(*values[first + size : first + 2 * size])
    moment = None
    if row.moment_clip_id is not None:
        moment = MomentAt(row.moment_clip_id, row.moment_start_s)
    item = ShownItem(
        row.id, row.clip_id, row.pair_clip_id, row.prep_note, clip, pair, moment, row.home_side
    )
    if row.notes_id is None:
        return item, None
    cited = None
    if row.cited_clip_id is not None:
        cited = MomentAt(row.cited_clip_id, row.cited_start_s)
    notes = ShownNotes(row.notes_id, row.version, row.seen, row.need, row.need_moment_id, cited)
    return item, notes
