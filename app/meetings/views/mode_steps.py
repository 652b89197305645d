"""Meeting mode's steps: one agenda item at a time, then the agreements. Every step has its
own address (``mode.mode_item``, ``mode_agreements.mode_agreements``; the meeting's
``/mode`` opens at the first), and every step shows the same navigation: the agenda's items
the viewer may watch, by title, then the agreements, with the previous and next step.

The navigation costs one query for the items' titles (plain columns) and one for which
fragments the viewer may watch, however long the agenda: a step draws only its own item,
read in one query as plain values (``services.steps.item_of``). Attendance sits on the first
step, where a meeting starts (``attendance_parts``). Addresses are built by ``address``
(``app.core.templating.id_url``, the ids put into an address built once; meeting mode's
views take it from here).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from flask import url_for
from wtforms import SelectChoice

from app.circle.policy import Action, Seat
from app.core.db import db
from app.core.errors import NotFoundError
from app.core.templating import id_url as address
from app.core.timecode import decimal_mark, format_time
from app.meetings.mode_forms import PRESENT_LABEL, AttendanceForm
from app.meetings.models import Meeting
from app.meetings.services import queries, visible

#: Meeting mode's address; its steps' addresses go on from it.
MODE = "/children/<int:child_id>/meetings/<int:meeting_id>/mode"


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


def step_nav(seat: Seat, meeting: Meeting, write: Callable[[float], str] | None = None) -> StepNav:
    """The steps of ``meeting``'s meeting mode for ``seat``, the items' times written by
    ``write`` (:func:`time_writer` when the caller has none). One query."""
    kept, hidden = visible.agenda_rows_as_seen(db.session, seat, meeting)
    titles = visible.item_titles(kept, write or time_writer())
    child_id, meeting_id = meeting.child_id, meeting.id
    return StepNav(
        [Step(r.id, titles[r.id]) for r in kept],
        hidden,
        address("meetings.mode_item", "item_id", child_id=child_id, meeting_id=meeting_id),
        address("meetings.mode_agreements", child_id=child_id, meeting_id=meeting_id),
    )


def leads(seat: Seat, meeting: Meeting) -> bool:
    """True when ``seat`` makes agreements in ``meeting`` (as ``parts.agreement_parts``)."""
    return seat.may(Action.PLAN_MEETING) and meeting.state.value in ("planned", "held")


def attendance_parts(
    meeting: Meeting, form: AttendanceForm | None, token: str | None
) -> dict[str, Any]:
    """The attendance of the first step: who is invited, where the form goes, and either
    the form sent back with why it was refused (``form``) or, drawn by hand, each invitee's
    position, id, name and whether marked present, with the label and the page's form
    token (``token``, ``form_token``). One query."""
    invitees = queries.attendees(db.session, meeting)
    to = address("meetings.attendance", child_id=meeting.child_id, meeting_id=meeting.id)
    parts = {"invitees": invitees, "attendance_address": to}
    if form is not None:
        form.present.choices = [SelectChoice(i.user_id, i.name) for i in invitees]
        form.marked.data = "1"
        return {**parts, "attendance": form}
    return {
        **parts,
        "attendance": None,
        "present": [(n, i.user_id, i.name, bool(i.attended)) for n, i in enumerate(invitees)],
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
