"""The child's clips as a person sees them listed: recordings with their fragments beneath,
a page at a time.

A page costs two queries (the page's entries with their total, and their fragments), both
filtered by ``queries.clip_clause`` (built once per shape, ``queries.clause_of_shape``): a list
never grows its number of queries with the number of clips, and never holds a clip the person
may not see.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.orm import joinedload

from app.circle.audience import Audience, may_set_audience
from app.circle.models import User
from app.circle.policy import Action, Seat
from app.clips.models import Clip, Source
from app.clips.services import gate, queries
from app.core import paging
from app.core.db import DbSession

#: Entries (recordings, and fragments shown on their own) on one page of the list. Each card's
#: poster is a request of its own, through the access check.
PER_PAGE = 12


@dataclass
class Entry:
    """A clip on the list, with the fragments of it the person sees."""

    clip: Clip
    fragments: list[Clip] = field(default_factory=list)


def clip_page(
    session: DbSession, seat: Seat, number: int, per_page: int | None = None
) -> paging.Page:
    """Page ``number`` of the clips of ``seat``'s child that ``seat`` may see now: its items are
    :class:`Entry`, each recording with its visible fragments beneath it (in time order),
    newest recording first. A fragment whose recording the person does not see is an entry of
    its own, without a hint of the recording. A number past the end gives the last page.
    Two queries (three for a number past the end); raises nothing beyond database errors.
    """
    # Worked out once: consent and audience for this person, the statements built once.
    statements = _page_statements(queries.shape_of(seat))
    params = queries.params_of(seat)
    page = _paginate(session, statements, params, number, per_page or PER_PAGE)
    listed = {clip.id: Entry(clip) for clip in page.items}
    if listed:
        fragments = session.scalars(statements.fragments, {**params, "listed": list(listed)})
        for fragment in fragments:
            listed[fragment.parent_id].fragments.append(fragment)
    return replace(page, items=list(listed.values()))


@dataclass(frozen=True)
class _PageStatements:
    rows: Select[Clip, int]  # a page of entries, each with the list's total
    total: Select[int]
    fragments: Select[Clip]  # the visible fragments of the listed recordings


#: A card names its uploader: their row comes with the clip's, their school (which a user's row
#: joins by default) does not.
_UPLOADER = joinedload(Clip.uploader).lazyload(User.school)


@lru_cache(maxsize=64)
def _page_statements(shape: queries.Shape) -> _PageStatements:
    """The list's statements for one shape of the clip clause (``queries.clause_of_shape``),
    built once: building them costs more than running them."""
    clause = queries.clause_of_shape(shape)
    # Uncorrelated: the recordings the person sees, not the row's own clip.
    shown = select(Clip.id).where(clause).correlate(None)
    listed = or_(Clip.parent_id.is_(None), Clip.parent_id.not_in(shown))
    total = select(func.count()).select_from(select(Clip.id).where(clause, listed).subquery())
    rows = (
        queries.newest_first(select(Clip).where(clause, listed))
        .add_columns(total.scalar_subquery().label("list_total"))
        .options(_UPLOADER)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    fragments = (
        select(Clip)
        .where(clause, Clip.parent_id.in_(bindparam("listed", expanding=True)))
        .options(_UPLOADER)
        .order_by(Clip.parent_id, Clip.start_s, Clip.id)
    )
    return _PageStatements(rows, total, fragments)


def _paginate(
    session: DbSession,
    statements: _PageStatements,
    params: dict[str, int],
    number: int,
    per_page: int,
) -> paging.Page:
    # ``paging.paginate`` for a statement built once: the total beside the page's rows, and
    # a number past the end reads as the last page.
    number = max(1, number)
    window = {**params, "limit": per_page, "offset": (number - 1) * per_page}
    rows = session.execute(statements.rows, window).all()
    if rows:
        total = rows[0][-1]
    else:  # an empty list, or a page past its end
        total = session.scalar(statements.total, params) or 0
        last = max(1, math.ceil(total / per_page))
        if number > last:
            return _paginate(session, statements, params, last, per_page)
    return paging.Page([row[0] for row in rows], number, per_page, total)


def count_visible(session: DbSession, seat: Seat) -> int:
    """How many clips (recordings and fragments) of ``seat``'s child ``seat`` may see now."""
    stmt = _count_statement(queries.shape_of(seat))
    return session.scalar(stmt, queries.params_of(seat)) or 0


@lru_cache(maxsize=64)
def _count_statement(shape: queries.Shape) -> Select[int]:
    return select(func.count()).select_from(Clip).where(queries.clause_of_shape(shape))


def shareable(seat: Seat, entries: Sequence[Entry]) -> set[int]:
    """The ids of the listed clips whose audience ``seat`` may change (their own uploads, or
    every clip for a coach): where the list offers "who sees this?". No query per clip."""
    clips = [c for entry in entries for c in (entry.clip, *entry.fragments)]
    return {
        c.id
        for c in clips
        # Narrowing to private is open to exactly those who may change the audience at all.
        if may_set_audience(
            seat, uploader_id=c.uploader_id, current=c.audience, new=Audience.PRIVATE
        )
    }


@dataclass(frozen=True)
class UploadOffer:
    """Which recording a seat may upload for its child, and whether consent allows it now."""

    source: Source
    allowed: bool


def upload_offer(seat: Seat) -> UploadOffer | None:
    """The upload the page offers ``seat``: a school recording to the school side, a home
    recording to parents and the pupil; None for a role that uploads nothing. ``allowed`` is
    False while consent does not cover that source (the page says why). Raises nothing."""
    if seat.may(Action.UPLOAD_SCHOOL_RECORDING):
        source = Source.SCHOOL
    elif seat.may(Action.UPLOAD_HOME_RECORDING):
        source = Source.HOME
    else:
        return None
    return UploadOffer(source, gate.may_record(seat.child, source))
