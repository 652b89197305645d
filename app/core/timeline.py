"""A timeline of events from several tables, in one SQL query: each source gives a select of
the same columns, and :func:`newest_first` joins them with UNION ALL and orders them.

A source is a feature's selects filtered for one viewer (by the same rule as the feature's
own pages), built with :func:`event_columns` so that every source has the same columns in the
same order and of the same types (UNION ALL matches columns by position):

    select(*event_columns(occurred_at=Clip.created_at, kind="clip.uploaded",
                          object_id=Clip.id, subject_id=Clip.id, actor_id=Clip.uploader_id,
                          title=Clip.title)).where(Clip.child_id == CHILD, ...)

A source's SQL depends on the viewer's role alone, so that it is built once per role (a
:class:`Source`); whose child and who views are values bound at each request (:data:`CHILD`,
:data:`VIEWER`, :data:`NOW`, and what a source adds by ``values``). Building and compiling the
select of a dozen sources took longer than the database took to answer it.

The composed select pages like any other list: one query for a page's rows and the total,
however many sources and rows there are. Its columns are :data:`COLUMNS`; a caller may join
more to them (the name of who did it) by ``stmt.selected_columns``.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    String,
    Text,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement

from app.core.db import UTCDateTime

#: The child whose timeline it is, the person viewing it and the time now: bound at each
#: request (``{CHILD.key: seat.child.id, ...}``), never written into a source's SQL.
CHILD = bindparam("timeline_child_id", type_=Integer)
VIEWER = bindparam("timeline_viewer_id", type_=Integer)
NOW = bindparam("timeline_now", type_=UTCDateTime)


def _no_values(seat: Any) -> Mapping[str, Any]:
    return {}


@dataclass(frozen=True)
class Source:
    """A feature's events on the timeline.

    ``events(role)``: the selects of the events someone in that role sees, of the columns of
    :func:`event_columns`, filtered with :data:`CHILD`, :data:`VIEWER` and :data:`NOW` (built
    once per role and kept: nothing of one person may be written into them). ``values(seat)``:
    the values of the further parameters they bind for a seat (what consent allows now), by
    name; none by default.
    """

    events: Callable[[Any], Sequence[Select[Any]]]
    values: Callable[[Any], Mapping[str, Any]] = _no_values


#: The columns of every source, in this order.
COLUMNS = (
    "occurred_at",  # when it happened (UTC)
    "kind",  # what happened: "<feature>.<event>", e.g. "meeting.planned"
    "object_id",  # the row the event is (unique within its kind: the tie-break)
    "subject_id",  # the row its page shows (a review's agreement, a summary's meeting)
    "actor_id",  # who did it, if anyone
    "title",  # a short text of the subject (a clip's title, an agreement's text)
    "detail",  # what the page turns into words (a meeting's kind, a record's answers as JSON)
    "refers_at",  # another instant the entry names (when a planned meeting takes place)
)


@dataclass(frozen=True)
class Event:
    """One row of a timeline, as :func:`newest_first` returns it."""

    occurred_at: datetime
    kind: str
    object_id: int
    subject_id: int | None
    actor_id: int | None
    title: str | None
    detail: str | None
    refers_at: datetime | None

    @classmethod
    def of(cls, row: Sequence[Any]) -> Event:
        """The event of a row of the composed select (its columns in :data:`COLUMNS` order)."""
        return cls(*row[: len(COLUMNS)])


def _typed(value: Any, type_: Any) -> ColumnElement[Any]:
    """``value`` read as ``type_`` (no CAST: the feature's column has that type already), or a
    NULL of that type (PostgreSQL needs the type of a NULL in a UNION)."""
    return cast(null(), type_) if value is None else type_coerce(value, type_)


def _written(kind: str) -> ColumnElement[str]:
    """The name of a kind, written into the SQL (a constant of the feature's code, never a
    value from a request): a bound value instead would be one more to send at each request,
    twice for every source."""
    return literal_column("'" + kind.replace("'", "''") + "'", String)


def kind_when(whens: Sequence[tuple[Any, str]], otherwise: str) -> ColumnElement[str]:
    """A ``kind`` that depends on the row (``whens``: a condition and its kind, in order;
    ``otherwise`` the kind of the rest): one select for events of one table that differ by a
    column (a consent or a withdrawal), instead of a select for each. Raises nothing."""
    return case(*((when, _written(kind)) for when, kind in whens), else_=_written(otherwise))


def event_columns(
    *,
    occurred_at: Any,
    kind: str | ColumnElement[str],
    object_id: Any,
    subject_id: Any = None,
    actor_id: Any = None,
    title: Any = None,
    detail: Any = None,
    refers_at: Any = None,
) -> list[ColumnElement[Any]]:
    """The columns of one source's select, labelled and typed alike for every source: give
    the columns (or SQL expressions) of the feature's tables, of these types (text for
    ``title`` and ``detail``: CAST a JSON column); what a source lacks is NULL.
    ``kind`` is a plain string (a literal in the SQL), or :func:`kind_when`. Raises nothing."""
    return [
        type_coerce(occurred_at, UTCDateTime).label("occurred_at"),
        cast(_written(kind) if isinstance(kind, str) else kind, String(40)).label("kind"),
        type_coerce(object_id, Integer).label("object_id"),
        _typed(subject_id, Integer).label("subject_id"),
        _typed(actor_id, Integer).label("actor_id"),
        _typed(title, Text).label("title"),
        _typed(detail, Text).label("detail"),
        _typed(refers_at, UTCDateTime).label("refers_at"),
    ]


#: How many rows of the list a page reads up to (:func:`newest_first_up_to`): its offset and
#: its size together.
UPTO = bindparam("timeline_upto", type_=Integer)


def _order(columns: Any) -> list[ColumnElement[Any]]:
    """The timeline's order, of ``columns``: newest first; events at the same instant by kind,
    then the newest row first, so a page never shifts between requests."""
    return [columns.occurred_at.desc(), columns.kind, columns.object_id.desc()]


def newest_first(sources: Sequence[Select[Any]]) -> Select[Any]:
    """The sources joined with UNION ALL, in the timeline's order (:func:`_order`).
    Raises ValueError for no source."""
    if not sources:
        raise ValueError("a timeline needs at least one source")
    # A named WITH, not a subquery: a page that counts the list beside its rows reads it
    # twice, and the database then works it out once.
    events = union_all(*sources).cte("timeline")
    return select(*(events.c[name] for name in COLUMNS)).order_by(*_order(events.c))


def newest_first_up_to(sources: Sequence[Select[Any]]) -> Select[Any]:
    """The first :data:`UPTO` rows of :func:`newest_first`'s list, from each source's newest
    :data:`UPTO` rows alone (a row among the first so many of the list is among the first so
    many of its own source): a page near the top reads a page's worth of each source,
    straight from an index where one is in that order, not every event of the child. Page it
    with LIMIT and OFFSET within :data:`UPTO`. Raises ValueError for no source."""
    if not sources:
        raise ValueError("a timeline needs at least one source")
    newest = [
        select(*part.c).select_from(part)
        for part in (
            source.order_by(*_order(source.selected_columns)).limit(UPTO).subquery()
            for source in sources
        )
    ]
    events = union_all(*newest).subquery("timeline")
    return select(*(events.c[name] for name in COLUMNS)).order_by(*_order(events.c))


def total(sources: Sequence[Select[Any]]) -> ColumnElement[int]:
    """How many events the sources have: each source counted alone and added up (cheaper
    than counting their union, whose rows the database would first write out). Raises
    ValueError for no source."""
    if not sources:
        raise ValueError("a timeline needs at least one source")
    counts = [
        source.with_only_columns(func.count(), maintain_column_froms=True).scalar_subquery()
        for source in sources
    ]
    return functools.reduce(operator.add, counts)
