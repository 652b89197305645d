"""What a person sees of a child's clips and moments: one SQL query each, filtered by audience
(``app.circle.policy``) and by what consent allows (``gate``), never in Python."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, or_, select

from app.circle import policy
from app.circle.audience import Audience, may_set_audience, visible_clause
from app.circle.policy import Seat
from app.clips.models import Clip, ClipState, Moment
from app.clips.services import gate
from app.core.db import db
from app.core.errors import ForbiddenError, NotFoundError


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
    return stmt.order_by(
        Clip.recorded_on.desc().nulls_last(), Clip.created_at.desc(), Clip.id.desc()
    )


def clip_or_404(seat: Seat, clip_id: int) -> Clip:
    """A clip of ``seat``'s child that ``seat`` may see and that consent covers now.

    Raises NotFoundError for a missing id, another child's clip, a clip outside the seat's
    audience and a clip whose consent was withdrawn alike (never a hint that it exists).
    """
    clip = visible_or_not_found(Clip, seat, clip_id)
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


def visible_or_not_found(
    model: Any, seat: Seat, object_id: int, *, uploader_attr: str = "uploader_id"
) -> Any:
    """A clip or moment (``model``) of ``seat``'s child by id that ``seat`` may see, in one
    query.

    Raises NotFoundError for a missing id, another child's id and an object outside the
    seat's audience alike, so the answer never tells that it exists (the audience rules are
    the circle's: ``app.circle.audience.visible_clause``).
    """
    clause = visible_clause(
        seat,
        child_col=model.child_id,
        audience_col=model.audience,
        uploader_col=getattr(model, uploader_attr),
    )
    row = db.session.scalar(select(model).where(model.id == object_id, clause))
    if row is None:
        policy.log_denied(f"{model.__name__.lower()}_missing_or_not_visible", seat.child.id)
        raise NotFoundError(f"{model.__name__.lower()}_missing_or_not_visible")
    return row


def audience_or_forbidden(
    seat: Seat, *, uploader_id: int | None, current: Audience | None, new: Audience
) -> Audience:
    """``new``, when the circle's rules let ``seat`` give an object of its child that audience
    (``app.circle.audience.may_set_audience``).

    Raises ForbiddenError otherwise: whoever gets here sees the object, so a 403 tells
    nothing new.
    """
    if not may_set_audience(seat, uploader_id=uploader_id, current=current, new=new):
        policy.log_denied(f"may_not_set_audience_{new}", seat.child.id)
        raise ForbiddenError(f"may_not_set_audience_{new}")
    return new
