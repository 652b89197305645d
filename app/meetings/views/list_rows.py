"""The rows of the child's meetings and agreements lists (``meetings/index.html``,
``meetings/agreements.html``), drawn once and filled in.

A list repeats its row twenty times, and a row the template drew cost the page more than
all else (an address, a label, a date or a time written cost a call or several each). So
the template draws a row once, with a hole (:data:`HOLES`) where a row's value goes, and
the classes here fill it in for each row of ``app.meetings.services.lists``, escaped as the
template escapes them (:mod:`app.core.holes`): labels translated once a page, a day or a
time of day written once however many rows show it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app
from jinja2.filters import do_truncate
from markupsafe import Markup
from sqlalchemy import Row

from app.circle.policy import Seat
from app.core import holes
from app.core.clock import display_zone
from app.core.holes import Holes, esc
from app.core.i18n import format_date, format_time
from app.meetings.forms import KIND_LABELS
from app.meetings.forms_followup import PARTY_LABELS, STATUS_LABELS
from app.meetings.models_followup import AgreementStatus
from app.meetings.services import agreements

#: Where a row's values go in the rows drawn once.
HOLES = Holes(
    "link",
    "kind",
    "starts",
    "when",
    "place",
    "state",
    "text",
    "party",
    "owner",
    "due",
    "status",
    "overdue",
)


def _labels(labels: dict[Any, Any]) -> dict[Any, str]:
    """``labels`` in the page's language, escaped."""
    return {key: esc(str(label)) for key, label in labels.items()}


@dataclass(frozen=True)
class MeetingRows:
    """The meetings list's ``rows`` (``lists.meetings_page``), with the address of any
    meeting (``{id}`` for its id)."""

    rows: list[Row[Any]]
    address: str

    def draw(self, blank: Markup, badge: Callable[[str], Markup]) -> Markup:
        """The rows: ``blank`` filled in for each, with its state's ``badge`` (drawn once
        a state) and its time as ``meetings/_macros.html``'s ``when`` writes it."""
        row = holes.pattern(blank, HOLES)
        kinds = _labels(KIND_LABELS)
        badges: dict[str, Markup] = {}
        when = _When()
        drawn = []
        for m in self.rows:
            state = m.state.value
            if state not in badges:
                badges[state] = badge(state)
            drawn.append(
                row.format(
                    link=esc(self.address.format(id=m.id)),
                    kind=kinds[m.kind],
                    starts=esc(m.starts_at.isoformat()),
                    when=when(m.starts_at, m.ends_at),
                    place=esc(m.place),
                    state=badges[state],
                )
            )
        return Markup("".join(drawn))  # noqa: S704 - the values escaped


class _When:
    """A meeting's time as ``when`` writes it (its day in full, its start and end times),
    escaped: each day and each time of day written once (the display time zone's)."""

    def __init__(self) -> None:
        self.zone = display_zone()
        self.days: dict[date, str] = {}
        self.times: dict[tuple[int, int], str] = {}

    def _time(self, moment: datetime, local: datetime) -> str:
        key = (local.hour, local.minute)  # all a short time says
        found = self.times.get(key)
        if found is None:
            found = self.times[key] = esc(format_time(moment, "short"))
        return found

    def __call__(self, starts_at: datetime, ends_at: datetime) -> str:
        start = starts_at.astimezone(self.zone)
        day = self.days.get(start.date())
        if day is None:
            day = self.days[start.date()] = esc(format_date(start.date(), "full"))
        start_time = self._time(starts_at, start)
        end_time = self._time(ends_at, ends_at.astimezone(self.zone))
        return f"{day}, {start_time}–{end_time}"


@dataclass(frozen=True)
class AgreementListRows:
    """The agreements list's ``rows`` (``lists.agreements_page``), with the address of any
    agreement, the day it is, and the seat that reads them (what it sees overdue:
    ``agreements.overdue_for``)."""

    rows: list[Row[Any]]
    address: str
    today: date
    seat: Seat

    def draw(self, blank: Markup, overdue: Markup, former: Markup) -> Markup:
        """The rows: ``blank`` filled in for each, with ``overdue`` for an overdue one and
        ``former`` (as the template says it) for an owner no longer in the circle; a text
        truncated as ``truncate(120)`` truncates it."""
        row = holes.pattern(blank, HOLES)
        parties, statuses = _labels(PARTY_LABELS), _labels(STATUS_LABELS)
        env = current_app.jinja_env
        days: dict[date, str] = {}
        drawn = []
        for a in self.rows:
            due = days.get(a.due_on)
            if due is None:
                due = days[a.due_on] = esc(format_date(a.due_on, "medium"))
            late = agreements.overdue_for(self.seat, a, self.today)
            drawn.append(
                row.format(
                    link=esc(self.address.format(id=a.id)),
                    text=esc(do_truncate(env, a.text, 120)),
                    party=parties[a.party],
                    owner=former if a.owner is None else esc(a.owner),  # former: markup
                    due=due,
                    state="granted" if a.status is AgreementStatus.DONE else "unanswered",
                    status=statuses[a.status],
                    overdue=overdue if late else "",
                )
            )
        return Markup("".join(drawn))  # noqa: S704 - the values escaped
