"""A child's timeline: what happened around the child across the features, newest first, as
the viewer may see it.

Each feature offers its events as selects of the timeline's columns (``app.core.timeline``),
filtered in SQL for a seat by the clause of the feature's own pages:

- meetings (``app.meetings.services.timeline``): meetings planned, held and cancelled,
  summaries issued and acknowledged, agreements made and reviewed;
- consent (``app.consent.services.timeline``): records signed, consents withdrawn;
- clips (``app.clips.services.timeline``): recordings uploaded, fragments cut, audiences
  changed.

This module joins them with UNION ALL and pages them in that one query, then loads what the
page shows in a fixed number of queries more (the names of who did what; the answers of the
consent records and the new audiences of the shares on the page). A feature adds its events
by adding its ``events`` to :data:`SOURCES`, and its words and links below.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from flask import url_for
from flask_babel import get_locale
from sqlalchemy import Select, select

from app.circle.audience import Audience
from app.circle.models import User
from app.circle.policy import Seat
from app.clips.services import timeline as clips
from app.consent import services as consent
from app.consent.services import timeline as consent_events
from app.core import paging
from app.core.clock import display_zone
from app.core.db import DbSession
from app.core.timeline import Event, newest_first
from app.meetings.services import timeline as meetings

#: Entries on one page of the timeline.
PER_PAGE = 25

#: Every feature's events: each a function of the seat giving its selects.
SOURCES: tuple[Callable[[Seat], list[Select[Any]]], ...] = (
    meetings.events,
    consent_events.events,
    clips.events,
)

#: Where each kind of event links to: the endpoint and the name of its id there (the event's
#: ``subject_id``); None for a page of the child without an id.
LINKS: dict[str, tuple[str, str | None]] = {
    meetings.PLANNED: ("meetings.show", "meeting_id"),
    meetings.HELD: ("meetings.show", "meeting_id"),
    meetings.CANCELLED: ("meetings.show", "meeting_id"),
    meetings.FINALISED: ("meetings.summary_page", "meeting_id"),
    meetings.ADDENDUM: ("meetings.summary_page", "meeting_id"),
    meetings.ACKNOWLEDGED: ("meetings.summary_page", "meeting_id"),
    meetings.AGREED: ("meetings.agreement", "agreement_id"),
    meetings.REVIEWED: ("meetings.agreement", "agreement_id"),
    consent_events.SIGNED: ("consent.overview", None),
    consent_events.WITHDRAWN: ("consent.overview", None),
    clips.UPLOADED: ("clips.show", "clip_id"),
    clips.CUT: ("clips.show", "clip_id"),
    clips.SHARED: ("clips.show", "clip_id"),
}


@dataclass(frozen=True)
class Entry:
    """One event as the page shows it: the event, who did it, where it links to, and what
    more the page says of it (a record's answers, a clip's new audience)."""

    event: Event
    actor: str | None
    link: str
    more: Any = None

    @property
    def kind(self) -> str:
        return self.event.kind


@dataclass(frozen=True)
class Day:
    """The entries of one day on the school's calendar, newest first."""

    day: date
    entries: list[Entry] = field(default_factory=list)


def events_of(seat: Seat) -> Select[Any]:
    """Every event of ``seat``'s child that ``seat`` may see, newest first: one select (the
    sources joined with UNION ALL). Raises nothing."""
    return newest_first([stmt for source in SOURCES for stmt in source(seat)])


def timeline_page(
    session: DbSession, seat: Seat, number: int, per_page: int = PER_PAGE
) -> paging.Page:
    """Page ``number`` of the timeline of ``seat``'s child as ``seat`` may see it: its items
    are :class:`Day`, each with its entries, newest first. A number past the end gives the
    last page. One query for the page and its total, and at most three more for what it
    shows, however long the timeline; raises nothing beyond database errors."""
    page = paging.paginate(session, events_of(seat), number, per_page)
    events = [Event.of(row) for row in page.items]
    names = _names(session, {e.actor_id for e in events if e.actor_id is not None})
    more = _more(session, seat, events)
    links = {
        kind: paging.address_of_items(endpoint, key, child_id=seat.child.id)
        if key
        else url_for(endpoint, child_id=seat.child.id)
        for kind, (endpoint, key) in LINKS.items()
    }
    days: list[Day] = []
    zone = display_zone()
    for event in events:
        day = event.occurred_at.astimezone(zone).date()
        if not days or days[-1].day != day:
            days.append(Day(day))
        days[-1].entries.append(
            Entry(
                event,
                names.get(event.actor_id) if event.actor_id is not None else None,
                links[event.kind].format(id=event.subject_id),
                more.get((event.kind, event.object_id)),
            )
        )
    return replace(page, items=days)


def _names(session: DbSession, ids: set[int]) -> dict[int, str]:
    """The names of the people with these ids (who did what on the page). One query."""
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.name).where(User.id.in_(ids)))
    return {user_id: name for user_id, name in rows}


def _more(session: DbSession, seat: Seat, events: Sequence[Event]) -> dict[tuple[str, int], Any]:
    """What the page says beyond the event's columns, by (kind, object id): the purposes of
    the consent records (by their labels in the school's text) and the audience each share
    set. At most three queries, none when the page has neither."""
    records = {e.object_id: e.kind for e in events if e.kind in consent_events.KINDS}
    shares = [e.object_id for e in events if e.kind == clips.SHARED]
    out: dict[tuple[str, int], Any] = {}
    if records:
        labels = _purpose_labels(session, seat)
        for record_id, said in consent_events.answers_of(session, seat, list(records)).items():
            kind = records[record_id]
            if kind == consent_events.WITHDRAWN:
                out[(kind, record_id)] = [labels[p] for p in labels if p in said.withdrawn]
            else:
                out[(kind, record_id)] = {
                    answer: [labels[p] for p in labels if said.answers.get(p) == answer]
                    for answer in ("yes", "no")
                }
    for event_id, audience in clips.audiences_set(session, seat, shares).items():
        if audience in set(Audience):
            out[(clips.SHARED, event_id)] = Audience(audience).label
    return out


def _purpose_labels(session: DbSession, seat: Seat) -> dict[str, str]:
    """Each purpose's label in the school's current consent text, in the page's language, in
    the purposes' order (the purpose's own name where the school has no text). One query."""
    template = consent.published_template(session, seat.child.school_id)
    texts = consent.text_in(template, str(get_locale()))["purposes"] if template else {}
    return {
        str(purpose): str(texts[purpose]["label"]) if purpose in texts else str(purpose)
        for purpose in consent.Purpose
    }
