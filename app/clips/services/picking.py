"""Fragments and moments of a child as another feature picks them (a meeting's agenda).

The public face of clips for meetings: which ready clips and moments a person may pick,
one of them by id within the child, whether one reaches the parents, and which of a list a
person may watch now. Every answer goes through the same audience and consent clause as the
clip pages (``queries.clip_clause``); nothing here decides a permission of its own.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload

from app.circle.audience import Audience, visible_or_404
from app.circle.models import Role
from app.circle.policy import Seat
from app.clips.models import Clip, ClipState, Moment
from app.clips.services import queries, sharing
from app.core.db import DbSession
from app.core.errors import NotFoundError

#: The most clips (and moments) a picking list offers: the newest first.
PICK_LIMIT = 200


def candidate_clips(session: DbSession, seat: Seat) -> list[Clip]:
    """The ready clips (recordings and fragments) of ``seat``'s child that ``seat`` may watch
    now, newest recording first, at most :data:`PICK_LIMIT`. One query."""
    stmt = queries.visible_clips(seat, ready_only=True).limit(PICK_LIMIT)
    return list(session.scalars(stmt))


def candidate_moments(session: DbSession, seat: Seat, clips: Collection[Clip]) -> list[Moment]:
    """The moments ``seat`` sees in ``clips`` (clips it may watch), by clip and time, at most
    :data:`PICK_LIMIT`. One query, none for no clips."""
    ids = [clip.id for clip in clips]
    if not ids:
        return []
    params = {"child_id": seat.child.id, "user_id": seat.user.id, "ids": ids}
    return list(session.scalars(_moments_statement(seat.role), params))


@lru_cache(maxsize=8)
def _moments_statement(role: Role) -> Select[Moment]:
    # Built once per role, the seat's person and child and the clips' ids bound when it runs:
    # meeting mode asks it on every visit, and building it costs more than running it.
    audience = queries.moment_rule(role, bindparam("child_id"), bindparam("user_id"))
    return (
        select(Moment)
        .where(audience, Moment.clip_id.in_(bindparam("ids", expanding=True)))
        .options(joinedload(Moment.clip), joinedload(Moment.custom_tag))
        .order_by(Moment.clip_id, Moment.start_s, Moment.id)
        .limit(PICK_LIMIT)
    )


def clip_to_pick(seat: Seat, clip_id: int) -> Clip:
    """A ready clip of ``seat``'s child that ``seat`` may watch now. Raises NotFoundError
    for another child's clip, one the seat does not see or consent no longer covers, and one
    that is not ready yet, alike."""
    clip = queries.clip_or_404(seat, clip_id)
    if clip.state is not ClipState.READY:
        raise NotFoundError("clip_not_ready")
    return clip


def moment_to_pick(seat: Seat, moment_id: int) -> Moment:
    """A moment ``seat`` sees in a ready clip of its child that ``seat`` may watch now.
    Raises NotFoundError otherwise (another child's moment included)."""
    moment = visible_or_404(Moment, seat, moment_id, uploader_attr="author_id")
    clip_to_pick(seat, moment.clip_id)
    return moment


def reaches_parents(clip: Clip) -> bool:
    """True when ``clip`` is shown to everyone in the circle, parents included (its audience
    is the circle, and the people in view were cleared where that was needed)."""
    return clip.audience is Audience.CIRCLE and sharing.may_reach_circle(clip)


def moment_reaches_parents(moment: Moment) -> bool:
    """True when ``moment`` and its clip are both shown to the parents."""
    return moment.audience is Audience.CIRCLE and reaches_parents(moment.clip)


def watchable_ids(session: DbSession, seat: Seat, clip_ids: Collection[int]) -> set[int]:
    """Which of ``clip_ids`` ``seat`` may watch now (audience and consent). One query, none
    for no ids."""
    ids = set(clip_ids)
    if not ids:
        return set()
    params = {**queries.params_of(seat), "ids": sorted(ids)}
    return set(session.scalars(_watchable_statement(queries.shape_of(seat)), params))


@lru_cache(maxsize=64)
def _watchable_statement(shape: queries.Shape) -> Select[int]:
    # Built once per shape of the clip clause, the ids bound when it runs.
    clause = queries.clause_of_shape(shape)
    return select(Clip.id).where(clause, Clip.id.in_(bindparam("ids", expanding=True)))
