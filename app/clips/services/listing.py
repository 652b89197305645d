"""The child's clips as a person sees them listed: recordings with their fragments beneath,
a page at a time.

A page costs two queries (the page's entries with their total, and their fragments), both
filtered by ``queries.clip_clause``: a list never grows its number of queries with the number
of clips, and never holds a clip the person may not see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from app.circle.audience import Audience, may_set_audience
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
    clause = queries.clip_clause(seat)  # worked out once: consent and audience for this person
    # Uncorrelated: the recordings the person sees, not the row's own clip.
    shown = select(Clip.id).where(clause).correlate(None)
    entries = (
        queries.newest_first(select(Clip).where(clause))
        .where(or_(Clip.parent_id.is_(None), Clip.parent_id.not_in(shown)))
        .options(joinedload(Clip.uploader))
    )
    page = paging.paginate(session, entries, number, per_page or PER_PAGE, scalars=True)
    listed = {clip.id: Entry(clip) for clip in page.items}
    if listed:
        fragments = session.scalars(
            select(Clip)
            .where(clause, Clip.parent_id.in_(listed))
            .options(joinedload(Clip.uploader))
            .order_by(Clip.parent_id, Clip.start_s, Clip.id)
        )
        for fragment in fragments:
            listed[fragment.parent_id].fragments.append(fragment)
    return replace(page, items=list(listed.values()))


def count_visible(session: DbSession, seat: Seat) -> int:
    """How many clips (recordings and fragments) of ``seat``'s child ``seat`` may see now."""
    return (
        session.scalar(select(func.count()).select_from(Clip).where(queries.clip_clause(seat))) or 0
    )


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
