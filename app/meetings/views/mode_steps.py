"""Meeting mode's steps: one agenda item at a time, then the agreements. Every step has its
own address (``mode.mode_item``, ``mode_agreements.mode_agreements``; the meeting's
``/mode`` opens at the first), and every step shows the same navigation: the agenda's items
the viewer may watch, by title, then the agreements, with the previous and next step.

The navigation costs one query for the items' titles (plain columns) and one for which
fragments the viewer may watch, however long the agenda: a step draws only its own item,
read in one query as plain values (``item_of``). Attendance sits on the first step, where a
meeting starts (``attendance_parts``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from flask import url_for
from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased
from wtforms import SelectChoice

from app.circle.policy import Action, Seat
from app.clips.forms import TAG_LABELS
from app.clips.models import Clip, Moment, MomentTag, Source, Tag
from app.clips.services import picking
from app.core.db import db, rows, utcnow
from app.core.errors import NotFoundError
from app.core.i18n import gettext as _
from app.core.paging import address_of_items
from app.core.timecode import decimal_mark, format_time
from app.meetings.mode_forms import PRESENT_LABEL, AttendanceForm
from app.meetings.models import AgendaItem, ItemNotes, Meeting
from app.meetings.services import queries

#: The columns of a clip that an item's step draws (:class:`ShownClip`).
_CLIP_COLUMNS = ("id", "title", "source", "duration_s", "poster_key", "width", "height")

#: Meeting mode's address; its steps' addresses go on from it.
MODE = "/children/<int:child_id>/meetings/<int:meeting_id>/mode"

#: The agenda's items in order, as the navigation names them. One query.
_AGENDA = (
    select(
        AgendaItem.id,
        AgendaItem.clip_id,
        AgendaItem.pair_clip_id,
        Clip.title,
        Moment.start_s,
        Moment.tag,
        MomentTag.label,
    )
    .join(Clip, Clip.id == AgendaItem.clip_id)
    .outerjoin(Moment, Moment.id == AgendaItem.moment_id)
    .outerjoin(MomentTag, MomentTag.id == Moment.custom_tag_id)
    .where(AgendaItem.meeting_id == bindparam("meeting_id"))
    .order_by(AgendaItem.position, AgendaItem.id)
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
    """A clip of an item's step, as its player draws it."""

    id: int
    title: str
    source: Source
    duration_s: float | None
    poster_key: str | None
    width: int | None
    height: int | None


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


class Step(NamedTuple):
    """An agenda item in the navigation: its id and its title."""

    id: int
    title: str


class StepNav(NamedTuple):
    """The steps of meeting mode for one viewer: the items shown (those whose fragments the
    viewer may watch), how many are not, and the addresses of the steps."""

    items: list[Step]
    hidden: int
    item_address: str
    agreements_address: str

    def index_of(self, item_id: int) -> int:
        """The position of item ``item_id`` among the shown ones; NotFoundError for an item
        not of this meeting or not shown to the viewer (as its fragment is hidden)."""
        for n, step in enumerate(self.items):
            if step.id == item_id:
                return n
        raise NotFoundError("agenda_item_not_shown")

    def parts(self, current: int | None) -> dict[str, Any]:
        """What the navigation draws with item number ``current`` (None: the agreements):
        each item's address, title and whether it is the current one, the current one's
        position, the previous and next."""
        last = len(self.items)
        at = last if current is None else current
        addresses = [self.item_address.format(id=s.id) for s in self.items]
        steps = [
            (address, s.title, n == at)
            for n, (address, s) in enumerate(zip(addresses, self.items, strict=True))
        ]
        addresses.append(self.agreements_address)
        return {
            "steps": steps,
            "current": current,
            "hidden_items": self.hidden,
            "agreements_address": self.agreements_address,
            "prev_address": addresses[at - 1] if at > 0 else None,
            "next_address": addresses[at + 1] if at < last else None,
            "next_is_item": at + 1 < last,
        }


def time_writer() -> Callable[[float], str]:
    """:func:`app.core.timecode.format_time` for a step's many times, the page's decimal
    mark looked up once: the whole seconds as it writes them, then the tenths."""
    mark = decimal_mark()

    def write(seconds: float) -> str:
        whole, tenth = divmod(round(seconds * 10), 10)
        text = format_time(whole)
        return f"{text}{mark}{tenth}" if tenth else text

    return write


def _titles(rows: list[Any], write: Callable[[float], str]) -> dict[int, str]:
    """The items' titles by id, as ``meetings/_macros.html``'s ``item_title`` writes them
    (their times by ``write``, :func:`time_writer`); each tag's label said once."""
    labels = dict[Tag, str]()
    titles = {}
    for r in rows:
        if r.start_s is None:
            titles[r.id] = r.title
            continue
        if r.tag is not None:
            label = labels.get(r.tag) or labels.setdefault(r.tag, str(TAG_LABELS[Tag(r.tag)]))
        else:
            label = r.label or _("Label removed")
        titles[r.id] = f"{r.title} · {write(r.start_s)} {label}"
    return titles


def step_nav(seat: Seat, meeting: Meeting, write: Callable[[float], str] | None = None) -> StepNav:
    """The steps of ``meeting``'s meeting mode for ``seat``, the items' times written by
    ``write`` (:func:`time_writer` when the caller has none). Two queries."""
    found = rows(db.session, _AGENDA, {"meeting_id": meeting.id})
    clip_ids = {r.clip_id for r in found} | {r.pair_clip_id for r in found if r.pair_clip_id}
    watchable = picking.watchable_ids(db.session, seat, clip_ids)
    kept = [
        r
        for r in found
        if r.clip_id in watchable and (r.pair_clip_id is None or r.pair_clip_id in watchable)
    ]
    titles = _titles(kept, write or time_writer())
    shown = [Step(r.id, titles[r.id]) for r in kept]
    ids: dict[str, Any] = {"child_id": meeting.child_id, "meeting_id": meeting.id}
    return StepNav(
        shown,
        len(found) - len(shown),
        address_of_items("meetings.mode_item", "item_id", **ids),
        url_for("meetings.mode_agreements", **ids),
    )


def item_of(meeting: Meeting, item_id: int) -> tuple[ShownItem, ShownNotes | None]:
    """Item ``item_id`` of ``meeting`` with its clips and moment, and its notes if any (the
    caller has checked the item is shown, :meth:`StepNav.index_of`)."""
    params = {"item_id": item_id, "meeting": meeting.id, "child": meeting.child_id, "now": utcnow()}
    row = next(iter(rows(db.session, _ITEM, params)), None)
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


def leads(seat: Seat, meeting: Meeting) -> bool:
    """True when ``seat`` makes agreements in ``meeting`` (as ``parts.agreement_parts``)."""
    return seat.may(Action.PLAN_MEETING) and meeting.state.value in ("planned", "held")


def attendance_parts(
    meeting: Meeting, form: AttendanceForm | None, token: str | None
) -> dict[str, Any]:
    """The attendance of the first step: who is invited, and either the form sent back
    with why it was refused (``form``) or, drawn by hand, each invitee's id, name and
    whether marked present, with the label and the page's form token (``token``,
    ``form_token``). One query."""
    invitees = queries.attendees(db.session, meeting)
    if form is not None:
        form.present.choices = [SelectChoice(i.user_id, i.name) for i in invitees]
        form.marked.data = "1"
        return {"invitees": invitees, "attendance": form}
    return {
        "invitees": invitees,
        "attendance": None,
        "present": [(i.user_id, i.name, bool(i.attended)) for i in invitees],
        "present_label": str(PRESENT_LABEL),
        "attendance_token": token,
    }


def step_url(meeting: Meeting, item_id: int | None = None, *, agreements: bool = False) -> str:
    """The address of a step: item ``item_id``'s, the agreements' or (neither) the first."""
    ids: dict[str, Any] = {"child_id": meeting.child_id, "meeting_id": meeting.id}
    if agreements:
        return url_for("meetings.mode_agreements", **ids)
    if item_id is not None:
        return url_for("meetings.mode_item", item_id=item_id, **ids)
    return url_for("meetings.mode", **ids)
