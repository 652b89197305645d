"""A child's meetings as one person sees them, whole: the agenda items they may watch, the
staff-only preparation notes and meeting-mode notes for the school side only, the questions
brought, and the summaries with their sealed PDFs. The meeting's page and a child's export
ask the same functions, so what leaves the portal follows the rules of the page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar, cast

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import aliased

from app.circle import policy
from app.circle.policy import Action, Seat
from app.clips.forms import TAG_LABELS
from app.clips.models import Clip, Moment, MomentTag, Tag
from app.clips.services import picking
from app.clips.services import queries as clip_queries
from app.core.db import DbSession, rows
from app.core.i18n import gettext as _
from app.core.timecode import format_time
from app.documents.models import Document
from app.meetings.models import (
    AgendaItem,
    ItemNotes,
    Meeting,
    MeetingContribution,
    MeetingInvitee,
)
from app.meetings.models_summary import MeetingSummary
from app.meetings.services import agenda, contributions, notes, queries, summary

ItemT = TypeVar("ItemT")


def agenda_as_seen(
    session: DbSession, seat: Seat, meeting: Meeting
) -> tuple[list[AgendaItem], int]:
    """The items of ``meeting``'s agenda whose fragments (and pair) ``seat`` may watch, in
    order, and how many others there are: a parent never gets a hint of those (the page
    tells only the school side how many it leaves out). Two queries."""
    items = agenda.agenda_of(session, meeting)
    shown = watchable_items(session, seat, items)
    return shown, len(items) - len(shown)


def watchable_items(session: DbSession, seat: Seat, items: Sequence[ItemT]) -> list[ItemT]:
    """Those of ``items`` (agenda items, or rows with their ``clip_id`` and ``pair_clip_id``)
    whose fragment and pair ``seat`` may watch now, in order. One query."""
    listed: Sequence[Any] = items  # either kind reads the same two ids
    clip_ids = {i.clip_id for i in listed} | {i.pair_clip_id for i in listed if i.pair_clip_id}
    watchable = picking.watchable_ids(session, seat, clip_ids)
    shown = [
        i
        for i in listed
        if i.clip_id in watchable and (i.pair_clip_id is None or i.pair_clip_id in watchable)
    ]
    return cast("list[ItemT]", shown)


class AgendaLine(NamedTuple):
    """An agenda item as the meeting's page shows it: its fragment (and pair) by id and
    title, the title naming the item's moment and its label, and the preparation note."""

    clip_id: int
    pair_clip_id: int | None
    title: str
    pair_title: str | None
    prep_note: str


_clip, _pair = aliased(Clip), aliased(Clip)


@lru_cache(maxsize=64)
def _agenda_statement(shape: clip_queries.Shape) -> Select[*tuple[Any, ...]]:
    """The agenda of meeting ``meeting`` in order, each item with what its title names and
    whether its fragment and pair may be watched (``watchable``) by a person whose clip
    clause has ``shape``: the clause of :func:`picking.watchable_ids`, built once per shape,
    the child's and the person's ids bound when it runs (``clip_queries.params_of``)."""
    clause = clip_queries.clause_of_shape(shape)

    def may_watch(clip_id: Any) -> Any:
        return select(Clip.id).where(Clip.id == clip_id, clause).exists()

    watchable = may_watch(AgendaItem.clip_id) & (
        AgendaItem.pair_clip_id.is_(None) | may_watch(AgendaItem.pair_clip_id)
    )
    return (
        select(
            AgendaItem.id,
            AgendaItem.clip_id,
            AgendaItem.pair_clip_id,
            AgendaItem.prep_note,
            _clip.title,
            _pair.title.label("pair_title"),
            Moment.id.label("moment_id"),
            Moment.start_s,
            Moment.tag,
            MomentTag.label,
            watchable.label("watchable"),
        )
        .join(_clip, _clip.id == AgendaItem.clip_id)
        .outerjoin(_pair, _pair.id == AgendaItem.pair_clip_id)
        .outerjoin(Moment, Moment.id == AgendaItem.moment_id)
        .outerjoin(MomentTag, MomentTag.id == Moment.custom_tag_id)
        .where(AgendaItem.meeting_id == bindparam("meeting"))
        .order_by(AgendaItem.position, AgendaItem.id)
    )


def agenda_rows_as_seen(session: DbSession, seat: Seat, meeting: Meeting) -> tuple[list[Any], int]:
    """:func:`agenda_as_seen` as rows (``id``, ``clip_id``, ``pair_clip_id``, ``prep_note``,
    ``title``, ``pair_title``, and the moment its title names: ``moment_id``, ``start_s``,
    ``tag``, ``label``), and how many others there are. One query: whether ``seat`` may
    watch an item's fragment and pair is asked in it, by the clip clause
    :func:`watchable_items` asks."""
    stmt = _agenda_statement(clip_queries.shape_of(seat))
    params = {**clip_queries.params_of(seat), "meeting": meeting.id}
    found = rows(session, stmt, params)
    shown = [r for r in found if r.watchable]
    return shown, len(found) - len(shown)


def item_titles(
    items: Sequence[Any], write: Callable[[float], str] = format_time
) -> dict[int, str]:
    """The titles of agenda rows (:func:`agenda_rows_as_seen`) by id, as
    ``meetings/_macros.html``'s ``item_title`` writes them, the moments' times written by
    ``write``; each tag's label said once."""
    labels = dict[Tag, str]()
    titles = {}
    for r in items:
        if r.moment_id is None:
            titles[r.id] = str(r.title)
            continue
        if r.tag is not None:
            if r.tag not in labels:
                labels[r.tag] = str(TAG_LABELS[Tag(r.tag)])
            label = labels[r.tag]
        else:
            label = r.label if r.label is not None else _("Label removed")
        titles[r.id] = f"{r.title} · {write(r.start_s)} {label}"
    return titles


def agenda_lines_as_seen(
    session: DbSession, seat: Seat, meeting: Meeting, write: Callable[[float], str] = format_time
) -> tuple[list[AgendaLine], int]:
    """:func:`agenda_as_seen` as plain lines (:class:`AgendaLine`), for the meeting's page,
    the moments' times written by ``write`` (:func:`item_titles`). One query."""
    shown, hidden = agenda_rows_as_seen(session, seat, meeting)
    titles = item_titles(shown, write)
    lines = [
        AgendaLine(r.clip_id, r.pair_clip_id, titles[r.id], r.pair_title, r.prep_note)
        for r in shown
    ]
    return lines, hidden


@dataclass
class MeetingAsSeen:
    """One meeting as ``seat`` sees it; ``prep_notes`` and ``notes`` stay empty for a seat
    that may not read them."""

    seen: queries.SeenMeeting
    invitees: list[MeetingInvitee]
    items: list[AgendaItem]
    sees_prep_notes: bool
    notes: dict[int, ItemNotes] = field(default_factory=dict)
    contributions: list[MeetingContribution] = field(default_factory=list)
    summaries: list[tuple[MeetingSummary, Document | None]] = field(default_factory=list)


def meetings_as_seen(session: DbSession, seat: Seat) -> list[MeetingAsSeen]:
    """Every meeting of ``seat``'s child that ``seat`` sees, the latest first, each with what
    its page shows ``seat`` (see :class:`MeetingAsSeen`). Meeting-mode notes go to the school
    side only (``policy.may_run_meeting``: parents read them in the summary). A few queries per
    meeting; meant for a background export, not a page. Raises nothing beyond database
    errors."""
    found = []
    for meeting in session.scalars(queries.visible_meetings(seat)):
        seen = queries.meeting_or_404(session, seat, meeting.id)
        found.append(
            MeetingAsSeen(
                seen=seen,
                invitees=queries.invitees_of(session, meeting),
                items=agenda_as_seen(session, seat, meeting)[0],
                sees_prep_notes=seat.may(Action.VIEW_PREP_NOTES),
                notes=notes.notes_of(session, meeting) if policy.may_run_meeting(seat) else {},
                contributions=contributions.contributions_to(session, seen),
                summaries=[
                    (s, summary.document_of(session, s))
                    for s in summary.summaries_of(session, meeting)
                ],
            )
        )
    return found
