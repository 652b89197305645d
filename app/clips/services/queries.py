"""What a person sees of a child's clips and moments: one SQL query each, filtered by audience
(``app.circle.policy``) and by what consent allows (``gate``), never in Python."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, false, or_, select

from app.circle import policy
from app.circle.audience import visible_clause, visible_or_404
from app.circle.policy import Seat
from app.clips.models import Clip, ClipState, Moment
from app.clips.services import gate
from app.core.errors import NotFoundError


def clip_clause(seat: Seat) -> ColumnElement[bool]:
    """SQL for "``seat`` may see and watch this clip of its child now"."""
    audience = visible_clause(
        seat, child_col=Clip.child_id, audience_col=Clip.audience, uploader_col=Clip.uploader_id
    )
    sources = gate.playable_sources(seat)
    own_sources = [s for s in gate.PURPOSE_OF if gate.may_record(seat.child, s)]
    consent = or_(
        Clip.source.in_(sorted(sources)) if sources else false(),
        and_(Clip.uploader_id == seat.user.id, Clip.source.in_(own_sources))
        if own_sources
        else false(),
    )
    return and_(audience, consent)


def visible_clips(seat: Seat, *, ready_only: bool = False) -> Select[Clip]:
    """The clips of ``seat``'s child that ``seat`` may see now, newest recording first."""
    stmt = select(Clip).where(clip_clause(seat))
    if ready_only:
        stmt = stmt.where(Clip.state == ClipState.READY)
    return newest_first(stmt)


def newest_first(stmt: Select[Clip]) -> Select[Clip]:
    """``stmt`` in list order: newest recording first (undated last), then newest upload."""
    return stmt.order_by(
        Clip.recorded_on.desc().nulls_last(), Clip.created_at.desc(), Clip.id.desc()
    )


def clip_or_404(seat: Seat, clip_id: int) -> Clip:
    """A clip of ``seat``'s child that ``seat`` may see and that consent covers now.

    Raises NotFoundError for a missing id, another child's clip, a clip outside the seat's
    audience and a clip whose consent was withdrawn alike (never a hint that it exists).
    """
    clip = visible_or_404(Clip, seat, clip_id)
    if not gate.may_watch(seat, source=clip.source, uploader_id=clip.uploader_id):
        policy.log_denied("clip_not_covered_by_consent", seat.child.id)
        raise NotFoundError("clip_not_covered_by_consent")
    return clip


def visible_moments(seat: Seat, clip: Clip) -> Select[Moment]:
    """The moments of ``clip`` that ``seat`` may see, in time order."""
    audience = visible_clause(
        seat,
        child_col=Moment.child_id,
        audience_col=Moment.audience,
        uploader_col=Moment.author_id,
    )
    return (
        select(Moment)
        .where(audience, Moment.clip_id == clip.id)
        .order_by(Moment.start_s, Moment.id)
    )
