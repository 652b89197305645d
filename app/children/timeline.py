"""A child's timeline: what happened around the child across the features, newest first, as
the viewer may see it.

Each feature offers its events as selects of the timeline's columns (``app.core.timeline``),
filtered in SQL by the rule of the feature's own pages:

- meetings (``app.meetings.services.timeline``): meetings planned, held and cancelled,
  summaries issued and acknowledged, agreements made and reviewed;
- consent (``app.consent.services.timeline``): records signed, consents withdrawn;
- clips (``app.clips.services.timeline``): recordings uploaded, fragments cut, audiences
  changed;
- the support plan (``app.plans.services.timeline``): drafts begun, versions sent, the
  parents' signed answers.

This module joins them with UNION ALL, joins the names of who did what, and pages them in that
one query, built once per role and bound to the seat at each request; a page showing a
consent record asks one more, for the words of the purposes in the school's text. A feature
adds its events by adding its ``SOURCE`` to :data:`SOURCES`, its links to :data:`LINKS` and
its words to :func:`_headline`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cache
from typing import Any

from flask import url_for
from flask_babel import get_locale
from markupsafe import Markup
from sqlalchemy import Integer, Select, bindparam, func, select

from app.circle.audience import Audience
from app.circle.models import Role, User
from app.circle.policy import Seat
from app.clips.services import timeline as clips
from app.consent import services as consent_texts
from app.consent.models import Purpose
from app.consent.services import timeline as consent
from app.core import i18n, paging
from app.core.clock import display_zone
from app.core.db import DbSession, utcnow
from app.core.timeline import (
    CHILD,
    COLUMNS,
    NOW,
    UPTO,
    VIEWER,
    Event,
    Source,
    newest_first,
    newest_first_up_to,
    total,
)
from app.meetings.forms import KIND_LABELS
from app.meetings.forms_followup import STATUS_LABELS
from app.meetings.models import MeetingKind
from app.meetings.models_followup import AgreementStatus
from app.meetings.services import timeline as meetings
from app.plans.services import timeline as plans

#: Entries on one page of the timeline.
PER_PAGE = 25

#: Every feature's events.
SOURCES: tuple[Source, ...] = (plans.SOURCE, meetings.SOURCE, consent.SOURCE, clips.SOURCE)

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


@dataclass(frozen=True, slots=True)
class Entry:
    """One event as the page shows it, every value written out beforehand (a page shows many):
    the headline and lines are markup (the catalogue's words, the values in them escaped)."""

    at: str  # when it happened, ISO 8601, for ``<time datetime>``
    time: str  # its time of day, as the page's language writes it
    link: str
    headline: str
    note: str | None  # a line more: when a planned meeting is, what a withdrawal withdrew...
    answers: tuple[str, str] | None  # a consent's yes and no lines ("" for none)
    title: str | None
    by: str | None  # who did it


@dataclass(frozen=True, slots=True)
class Day:
    """The entries of one day on the school's calendar, newest first."""

    at: str  # ISO 8601
    label: str  # written out in full in the page's language
    entries: list[Entry] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Statements:
    """The timeline as someone in one role sees it (:func:`_statements`)."""

    near: Select[Any]  # a page near the top, with the total
    far: Select[Any]  # any page, with the total
    total: Select[Any]  # the total alone (for a page past the end)


@cache
def _statements(role: Role) -> _Statements:
    """The timeline as someone in ``role`` sees it, built once per role: a page of it (the
    events, the name of who did each, the list's total; :data:`_LIMIT` rows from
    :data:`_OFFSET`), as two statements with the same rows, and its total alone. ``near``
    reads each source's newest rows up to the page's end (``UPTO``) and counts each source
    alone: the cheaper for a page near the top; ``far`` reads every event once, sorts them
    and counts them, the cheaper further on. All bind the child and the viewer
    (``app.core.timeline``)."""
    sources = [stmt for source in SOURCES for stmt in source.events(role)]
    count = total(sources)
    near, far = newest_first_up_to(sources), newest_first(sources)
    counted_far = select(func.count()).select_from(far.order_by(None).subquery())
    near, far = (
        _named(events).add_columns(counted.label("list_total")).limit(_LIMIT).offset(_OFFSET)
        for events, counted in ((near, count), (far, counted_far.scalar_subquery()))
    )
    return _Statements(near, far, select(count))


def _named(events: Select[Any]) -> Select[Any]:
    """``events`` with the name of who did each (None for no one)."""
    actor = events.selected_columns.actor_id
    return events.add_columns(User.name.label("actor_name")).outerjoin(User, User.id == actor)


_LIMIT = bindparam("timeline_limit", type_=Integer)
_OFFSET = bindparam("timeline_offset", type_=Integer)
#: The end of the pages "near the top" (in rows): as far as reading each source's newest
#: rows is the cheaper (measured on a thousand events of a child: a page of 25 from the
#: first to the third).
_NEAR = 75


def _bound(seat: Seat) -> dict[str, Any]:
    """The values the timeline's selects bind for ``seat``."""
    values = {CHILD.key: seat.child.id, VIEWER.key: seat.user.id, NOW.key: utcnow()}
    for source in SOURCES:
        values.update(source.values(seat))
    return values


def events_page(session: DbSession, seat: Seat, number: int, per_page: int) -> paging.Page:
    """Page ``number`` of the timeline's rows for ``seat`` (each an event's :data:`COLUMNS`
    and the name of who did it), with the total, as ``paging.paginate`` pages a list: one
    query, a second for an empty page, a number past the end read as the last page."""
    statements = _statements(seat.role)
    values = _bound(seat)
    number = max(1, number)
    offset = (number - 1) * per_page
    bound = {**values, _LIMIT.key: per_page, _OFFSET.key: offset}
    if offset + per_page <= _NEAR:
        page = statements.near
        bound[UPTO.key] = offset + per_page
    else:
        page = statements.far
    # Plain columns, no entity: run on the session's connection, without the ORM's steps.
    connection = session.connection()
    rows = connection.execute(page, bound).all()
    if rows:
        total = rows[0][-1]
    else:  # an empty timeline, or a page past its end
        total = connection.scalar(statements.total, values) or 0
        last = max(1, math.ceil(total / per_page))
        if number > last:
            return events_page(session, seat, last, per_page)
    return paging.Page(rows, number, per_page, total)


def timeline_page(
    session: DbSession, seat: Seat, number: int, per_page: int = PER_PAGE
) -> paging.Page:
    """Page ``number`` of the timeline of ``seat``'s child as ``seat`` may see it: its items
    are :class:`Day`, each with its entries, newest first. A number past the end gives the
    last page. One query for the page, its total and the names in it, and one more when it
    shows a consent record (the purposes' words in the school's text), however long the
    timeline is; raises nothing beyond database errors."""
    page = events_page(session, seat, number, per_page)
    rows = [(Event.of(row), row[len(COLUMNS)]) for row in page.items]
    labels = _purpose_labels(session, seat) if any(e.kind in consent.KINDS for e, _ in rows) else {}
    links = _addresses(seat, {event.kind for event, _ in rows})
    words = _Words()
    zone = display_zone()
    days: list[Day] = []
    current: date | None = None
    # What many entries of a page share, written once: a time, a headline, who did it.
    times: dict[datetime, tuple[str, str]] = {}
    headlines: dict[tuple[str, str | None], Markup] = {}
    by: dict[str, Markup] = {}
    for event, actor in rows:
        at, kind = event.occurred_at, event.kind
        day = at.astimezone(zone).date()
        if day != current:
            current = day
            days.append(Day(day.isoformat(), i18n.format_date(day, "full")))
        iso, time = times.get(at) or times.setdefault(
            at, (at.isoformat(), i18n.format_time(at, "short"))
        )
        headline = headlines.get((kind, event.detail))
        if headline is None:
            headline = headlines[(kind, event.detail)] = _headline(event, words)
        if actor and actor not in by:
            by[actor] = words("by %(name)s", name=actor)
        note, answers = _more(event, labels, words) if kind in _SAYS_MORE else (None, None)
        days[-1].entries.append(
            Entry(
                iso,
                time,
                links[kind].format(id=event.subject_id),
                headline,
                note,
                answers,
                event.title,
                by[actor] if actor else None,
            )
        )
    return replace(page, items=days)


class _Words:
    """The page's words, each looked up in the catalogue once a page (a page repeats them), as
    a template says them: markup, with the values put in escaped."""

    __slots__ = ("_found", "_translations", "_labels")

    def __init__(self) -> None:
        self._found: dict[str, Markup] = {}
        self._translations: Any = i18n.translations()
        self._labels: dict[Any, str] = {}

    def __call__(self, text: str, **values: Any) -> Markup:
        found = self._found.get(text)
        if found is None:
            found = self._found[text] = Markup(self._translations.ugettext(text))  # noqa: S704 - the catalogue
        return found % values if values else found

    def label(self, labels: Mapping[Any, Any], key: Any) -> str:
        """``labels[key]`` (a lazy label) in the page's language, once a page."""
        found = self._labels.get(key)
        if found is None:
            found = self._labels[key] = str(labels[key])
        return found


def _headline(event: Event, _: _Words) -> Markup:
    """What the entry's link says ``event`` was."""
    kind, detail = event.kind, event.detail
    if kind in _MEETING_KINDS:
        label = _.label(KIND_LABELS, MeetingKind(detail or ""))
        if kind == meetings.PLANNED:
            return _("%(kind)s planned", kind=label)
        if kind == meetings.HELD:
            return _("%(kind)s held", kind=label)
        if kind == meetings.CANCELLED:
            return _("%(kind)s cancelled", kind=label)
        if kind == meetings.FINALISED:
            return _("Summary issued: %(kind)s", kind=label.lower())
        if kind == meetings.ADDENDUM:
            return _("Addendum to the summary: %(kind)s", kind=label.lower())
        return _("Summary acknowledged: %(kind)s", kind=label.lower())
    if kind == meetings.AGREED:
        return _("Agreement made")
    if kind == meetings.REVIEWED:
        status = _.label(STATUS_LABELS, AgreementStatus(detail or ""))
        return _("Agreement reviewed: %(status)s", status=status.lower())
    if kind == consent.SIGNED:
        return _("Consent form signed")
    if kind == consent.WITHDRAWN:
        return _("Consent withdrawn")
    if kind == clips.UPLOADED:
        if detail == "home":
            return _("Home recording uploaded")
        return _("School recording uploaded")
    if kind == clips.CUT:
        return _("Fragment cut")
    if kind == clips.SHARED:
        return _("Who sees a clip changed")
    if kind == plans.DRAFTED:
        return _("Support plan: version %(number)s begun", number=detail)
    if kind == plans.SENT:
        return _("Support plan: version %(number)s sent to the parents", number=detail)
    if kind == plans.AGREED:
        return _("Support plan: agreed with version %(number)s", number=detail)
    if kind == plans.DECLINED:
        return _("Support plan: declined version %(number)s", number=detail)
    return Markup.escape(kind)


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


def _more(
    event: Event, labels: dict[str, str], _: _Words
) -> tuple[Markup | None, tuple[Markup, Markup] | None]:
    """What the page says of ``event`` beyond its headline and title: when a planned meeting
    takes place; a record's purposes (answered yes and no, or withdrawn) by their labels; the
    audience a share set. As (a line, None) or (None, a consent's yes and no lines)."""
    kind = event.kind
    if kind == meetings.PLANNED and event.refers_at:
        when = event.refers_at
        date, time = i18n.format_date(when, "long"), i18n.format_time(when, "short")
        return _("On %(date)s at %(time)s", date=date, time=time), None
    if kind == consent.SIGNED:
        said = consent.answers(event.detail).answers
        yes, no = (
            [label for purpose, label in labels.items() if said.get(purpose) == answer]
            for answer in ("yes", "no")
        )
        return None, (
            _("Yes:") + " " + _LIST.join(yes) if yes else Markup(),
            _("No:") + " " + _LIST.join(no) if no else Markup(),
        )
    if kind == consent.WITHDRAWN:
        withdrawn = consent.answers(event.detail).withdrawn
        listed = _LIST.join(label for purpose, label in labels.items() if purpose in withdrawn)
        return listed or None, None
    if kind == clips.SHARED:
        audience = clips.audience_set(event.detail)
        if audience in _AUDIENCES:
            return _("Now seen by: %(audience)s", audience=Audience(audience).label), None
    return None, None


#: The kinds of a meeting's events, whose headline names the meeting's kind.
_MEETING_KINDS = frozenset(
    (
        meetings.PLANNED,
        meetings.HELD,
        meetings.CANCELLED,
        meetings.FINALISED,
        meetings.ADDENDUM,
        meetings.ACKNOWLEDGED,
    )
)
#: The kinds of event the page says more of than a headline and a title (:func:`_more`).
_SAYS_MORE = frozenset((meetings.PLANNED, consent.SIGNED, consent.WITHDRAWN, clips.SHARED))
#: How a line lists labels (Jinja's ``join(", ")``: each label escaped).
_LIST = Markup(", ")
_AUDIENCES = frozenset(Audience)


def _purpose_labels(session: DbSession, seat: Seat) -> dict[str, str]:
    """Each purpose's label in the school's current consent text, in the page's language, in
    the purposes' order (the purpose's own name where the school has no text). One query."""
    template = consent_texts.published_template(session, seat.child.school_id)
    texts = consent_texts.text_in(template, str(get_locale()))["purposes"] if template else {}
    return {
        str(purpose): str(texts[purpose]["label"]) if purpose in texts else str(purpose)
        for purpose in Purpose
    }
