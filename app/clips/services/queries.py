"""What a person sees of a child's clips and moments: one SQL query each, filtered by audience
(``app.circle.policy``) and by what consent allows (``gate``), never in Python."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Select, and_, bindparam, or_, select

from app.circle import policy
from app.circle.audience import audience_rule
from app.circle.models import Role
from app.circle.policy import Seat
from app.clips.models import Clip, ClipState, Moment, Source
from app.clips.services import gate
from app.core.db import db, one_of
from app.core.errors import NotFoundError

#: What a person's clause depends on besides the ids of the person and the child: their role,
#: the sources they watch in others' uploads, and the sources of their own uploads they watch.
Shape = tuple[Role, tuple[Source, ...], tuple[Source, ...]]


def clip_clause(seat: Seat) -> ColumnElement[bool]:
    """SQL for "``seat`` may see and watch this clip of its child now"."""
    _, sources, own_sources = shape_of(seat)
    return clip_rule(seat.role, seat.child.id, seat.user.id, sources, own_sources)


def clip_rule(
    role: Role, child: Any, viewer: Any, sources: Any, own_sources: Any
) -> ColumnElement[bool]:
    """SQL for "person ``viewer``, in ``role``, may see and watch this clip of child ``child``
    now": its audience (``audience.audience_rule``) and what consent lets them watch
    (``gate``): ``sources`` of anyone's clips, ``own_sources`` of their own uploads.
    ``child`` and ``viewer`` are ids or bound parameters; the sources are lists, or
    expanding bound parameters, of a statement built once (the child's timeline)."""
    audience = audience_rule(
        role,
        child,
        viewer,
        child_col=Clip.child_id,
        audience_col=Clip.audience,
        uploader_col=Clip.uploader_id,
    )
    consent = or_(_source_in(sources), and_(Clip.uploader_id == viewer, _source_in(own_sources)))
    return and_(audience, consent)


def _source_in(sources: Any) -> ColumnElement[bool]:
    if isinstance(sources, BindParameter):  # filled in when the statement runs
        return Clip.source.in_(sources)
    return one_of(Clip.source, sources)


def shape_of(seat: Seat) -> Shape:
    """What :func:`clip_clause` depends on for ``seat`` beyond its ids (consent's status is
    asked once per request): the key of :func:`clause_of_shape`."""
    sources = tuple(sorted(gate.playable_sources(seat)))
    own_sources = tuple(s for s in gate.PURPOSE_OF if gate.may_record(seat.child, s))
    return seat.role, sources, own_sources


def params_of(seat: Seat) -> dict[str, int]:
    """The values of the bound parameters of :func:`clause_of_shape`'s clause for ``seat``."""
    return {"clip_child": seat.child.id, "clip_user": seat.user.id}


#: The bound parameters of the statements built once (:func:`params_of` gives their values).
_CHILD: BindParameter[int] = bindparam("clip_child")
_USER: BindParameter[int] = bindparam("clip_user")


@lru_cache(maxsize=64)
def clause_of_shape(shape: Shape) -> ColumnElement[bool]:
    """:func:`clip_clause` built once per shape, with the child's and the person's ids as bound
    parameters (``clip_child``, ``clip_user``; see :func:`params_of`): statements built on it
    once are run with the parameters, as building the clause costs more than running it."""
    role, sources, own_sources = shape
    return clip_rule(role, _CHILD, _USER, sources, own_sources)


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
    params = {**params_of(seat), "clip_id": clip_id}
    clip = db.session.scalar(_visible_clip_statement(seat.role), params)
    if clip is None:  # as ``audience.visible_or_404`` says it
        policy.log_denied("clip_missing_or_not_visible", seat.child.id)
        raise NotFoundError("clip_missing_or_not_visible")
    if not gate.may_watch(seat, source=clip.source, uploader_id=clip.uploader_id):
        policy.log_denied("clip_not_covered_by_consent", seat.child.id)
        raise NotFoundError("clip_not_covered_by_consent")
    return clip


@lru_cache(maxsize=8)
def _visible_clip_statement(role: Role) -> Select[Clip]:
    # ``audience.visible_or_404`` for a clip, built once per role: every clip page and every
    # range request of a playing video asks it.
    audience = audience_rule(
        role,
        _CHILD,
        _USER,
        child_col=Clip.child_id,
        audience_col=Clip.audience,
        uploader_col=Clip.uploader_id,
    )
    return select(Clip).where(Clip.id == bindparam("clip_id"), audience)


def visible_moments(seat: Seat, clip: Clip) -> Select[Moment]:
    """The moments of ``clip`` that ``seat`` may see, in time order."""
    return moments_seen(seat.role, seat.child.id, seat.user.id, clip.id)


def moments_seen(role: Role, child: Any, viewer: Any, clip: Any) -> Select[Moment]:
    """:func:`visible_moments` for person ``viewer`` in ``role`` and clip ``clip`` of child
    ``child``: ids, or bound parameters of a statement built once per role."""
    return (
        select(Moment)
        .where(moment_rule(role, child, viewer), Moment.clip_id == clip)
        .order_by(Moment.start_s, Moment.id)
    )


def moment_rule(role: Role, child: Any, viewer: Any) -> ColumnElement[bool]:
    """SQL for "person ``viewer``, in ``role``, sees this moment of child ``child``" (its
    audience, ``audience.audience_rule``); ids or bound parameters."""
    return audience_rule(
        role,
        child,
        viewer,
        child_col=Moment.child_id,
        audience_col=Moment.audience,
        uploader_col=Moment.author_id,
    )
