"""A child's timeline: what happened around the child across the features, newest first, as
the viewer may see it.

Each feature offers its events as selects of the timeline's columns (``app.core.timeline``),
filtered in SQL for a seat by the clause of the feature's own pages:

- meetings (``app.meetings.services.timeline``): meetings planned, held and cancelled,
  summaries issued and acknowledged, agreements made and reviewed;
- consent (``app.consent.services.timeline``): records signed, consents withdrawn;
- clips (``app.clips.services.timeline``): recordings uploaded, fragments cut, audiences
  changed;
- the support plan (``app.plans.services.timeline``): drafts begun, versions sent, the
  parents' signed answers.

This module joins them with UNION ALL, joins the names of who did what, and pages them in that
one query; a page showing a consent record asks one more, for the words of the purposes in the
school's text. A feature adds its events by adding its ``events`` to :data:`SOURCES`, its
links to :data:`LINKS` and its words to ``templates/children/timeline.html``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from flask import url_for
from flask_babel import get_locale
from sqlalchemy import Select

from app.circle.audience import Audience
from app.circle.models import User
from app.circle.policy import Seat
from app.clips.services import timeline as clips
from app.consent import services as consent_texts
from app.consent.models import Purpose
from app.consent.services import timeline as consent
from app.core import paging
from app.core.clock import display_zone
from app.core.db import DbSession
from app.core.timeline import COLUMNS, Event, newest_first
from app.meetings.services import timeline as meetings
from app.plans.services import timeline as plans

#: Entries on one page of the timeline.
PER_PAGE = 25

#: Every feature's events: each a function of the seat giving its selects.
SOURCES: tuple[Callable[[Seat], list[Select[Any]]], ...] = (
    plans.events,
    meetings.events,
    consent.events,
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
    consent.SIGNED: ("consent.overview", None),
    consent.WITHDRAWN: ("consent.overview", None),
    clips.UPLOADED: ("clips.show", "clip_id"),
    clips.CUT: ("clips.show", "clip_id"),
    clips.SHARED: ("clips.show", "clip_id"),
    plans.DRAFTED: ("plans.version", "plan_version_id"),
    plans.SENT: ("plans.version", "plan_version_id"),
    plans.AGREED: ("plans.version", "plan_version_id"),
    plans.DECLINED: ("plans.version", "plan_version_id"),
}


@dataclass(frozen=True)
class Entry:
    """One event as the page shows it: the event, who did it, where it links to, and what
    more the page says of it (a record's purposes, a clip's new audience)."""

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
    """Every event of ``seat``'s child that ``seat`` may see, newest first, with the name of
    who did it: one select (the sources joined with UNION ALL, the people's names joined to
    it). Raises nothing."""
    events = newest_first([stmt for source in SOURCES for stmt in source(seat)])
    actor = events.selected_columns.actor_id
    return events.add_columns(User.name.label("actor_name")).outerjoin(User, User.id == actor)


def timeline_page(
    session: DbSession, seat: Seat, number: int, per_page: int = PER_PAGE
) -> paging.Page:
    """Page ``number`` of the timeline of ``seat``'s child as ``seat`` may see it: its items
    are :class:`Day`, each with its entries, newest first. A number past the end gives the
    last page. One query for the page, its total and the names in it, and one more when it
    shows a consent record (the purposes' words in the school's text), however long the
    timeline is; raises nothing beyond database errors."""
    page = paging.paginate(session, events_of(seat), number, per_page)
    rows = [(Event.of(row), row[len(COLUMNS)]) for row in page.items]
    labels = _purpose_labels(session, seat) if any(e.kind in consent.KINDS for e, _ in rows) else {}
    links = _addresses(seat, {event.kind for event, _ in rows})
    days: list[Day] = []
    zone = display_zone()
    for event, actor in rows:
        day = event.occurred_at.astimezone(zone).date()
        if not days or days[-1].day != day:
            days.append(Day(day))
        link = links[event.kind].format(id=event.subject_id)
        days[-1].entries.append(Entry(event, actor, link, _more(event, labels)))
    return replace(page, items=days)


def _addresses(seat: Seat, kinds: set[str]) -> dict[str, str]:
    """The address each of these kinds of event links to, with ``{id}`` for its subject's
    id: built once a kind, not once an entry."""
    addresses = {}
    for kind in kinds:
        endpoint, key = LINKS[kind]
        addresses[kind] = (
            paging.address_of_items(endpoint, key, child_id=seat.child.id)
            if key
            else url_for(endpoint, child_id=seat.child.id)
        )
    return addresses


def _more(event: Event, labels: dict[str, str]) -> Any:
    """What the page says of ``event`` beyond its headline and title: a record's purposes
    (answered yes and no, or withdrawn) by their labels, the audience a share set."""
    if event.kind == consent.SIGNED:
        said = consent.answers(event.detail).answers
        return {
            answer: [label for purpose, label in labels.items() if said.get(purpose) == answer]
            for answer in ("yes", "no")
        }
    if event.kind == consent.WITHDRAWN:
        withdrawn = consent.answers(event.detail).withdrawn
        return [label for purpose, label in labels.items() if purpose in withdrawn]
    if event.kind == clips.SHARED:
        audience = clips.audience_set(event.detail)
        return Audience(audience).label if audience in set(Audience) else None
    return None


def _purpose_labels(session: DbSession, seat: Seat) -> dict[str, str]:
    """Each purpose's label in the school's current consent text, in the page's language, in
    the purposes' order (the purpose's own name where the school has no text). One query."""
    template = consent_texts.published_template(session, seat.child.school_id)
    texts = consent_texts.text_in(template, str(get_locale()))["purposes"] if template else {}
    return {
        str(purpose): str(texts[purpose]["label"]) if purpose in texts else str(purpose)
        for purpose in Purpose
    }
