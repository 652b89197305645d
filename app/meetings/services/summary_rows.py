"""A summary's agenda items with the group's notes, read as plain rows (the sealed PDF's
and the summary's page alike): one query, its statement built once. A page that only reads
needs no entities (their loading cost the summary's page most of its time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased

from app.clips.models import Clip, Moment
from app.core.db import DbSession, rows
from app.core.timecode import format_time
from app.meetings.models import AgendaItem, ItemNotes, Meeting


@dataclass(frozen=True)
class PrintedItem:
    """An agenda item as the summary prints it: its titles, poster keys and time range, and
    what the group wrote about it in meeting mode (what they saw, what the child needs, and
    the time of the moment that need cites)."""

    title: str
    pair_title: str | None
    setting: str
    posters: tuple[str, ...]
    time_range: str
    seen: str = ""
    need: str = ""
    need_at: str | None = None


_clip, _pair, _moment, _cited = aliased(Clip), aliased(Clip), aliased(Moment), aliased(Moment)

#: The agenda of meeting ``meeting`` in order, each item with its clip, pair, moment and
#: notes (never its preparation note).
_ITEMS = (
    select(
        AgendaItem.moment_id,
        _clip.title,
        _clip.source,
        _clip.poster_key,
        _clip.start_s,
        _clip.end_s,
        _clip.duration_s,
        _pair.id.label("pair_id"),
        _pair.title.label("pair_title"),
        _pair.source.label("pair_source"),
        _pair.poster_key.label("pair_poster"),
        _moment.start_s.label("moment_start"),
        _moment.end_s.label("moment_end"),
        ItemNotes.id.label("notes_id"),
        ItemNotes.seen,
        ItemNotes.need,
        _cited.start_s.label("cited_start"),
    )
    .select_from(AgendaItem)
    .join(_clip, _clip.id == AgendaItem.clip_id)
    .outerjoin(_pair, _pair.id == AgendaItem.pair_clip_id)
    .outerjoin(_moment, _moment.id == AgendaItem.moment_id)
    .outerjoin(
        ItemNotes,
        (ItemNotes.item_id == AgendaItem.id) & (ItemNotes.meeting_id == AgendaItem.meeting_id),
    )
    .outerjoin(_cited, _cited.id == ItemNotes.need_moment_id)
    .where(AgendaItem.meeting_id == bindparam("meeting"))
    .order_by(AgendaItem.position, AgendaItem.id)
)


def _time_range(row: Any) -> str:
    if row.moment_id is not None and row.moment_start is not None:
        end = f"–{format_time(row.moment_end)}" if row.moment_end is not None else ""
        return f"{format_time(row.moment_start)}{end}"
    if row.start_s is not None and row.end_s is not None:
        return f"{format_time(row.start_s)}–{format_time(row.end_s)}"
    return f"{format_time(0)}–{format_time(row.duration_s or 0)}"


def printed_items(session: DbSession, meeting: Meeting) -> list[PrintedItem]:
    """The agenda as the summary prints it: never a preparation note. One query."""
    printed = []
    for row in rows(session, _ITEMS, {"meeting": meeting.id}):
        paired = row.pair_id is not None
        noted = row.notes_id is not None
        sources = (row.source, row.pair_source) if paired else (row.source,)
        posters = (row.poster_key, row.pair_poster) if paired else (row.poster_key,)
        printed.append(
            PrintedItem(
                title=row.title,
                pair_title=row.pair_title if paired else None,
                setting=" / ".join(source.value for source in sources),
                posters=tuple(key for key in posters if key),
                time_range=_time_range(row),
                seen=row.seen if noted else "",
                need=row.need if noted else "",
                need_at=format_time(row.cited_start) if row.cited_start is not None else None,
            )
        )
    return printed
