"""Fragments and moments of a child as another feature picks them (a meeting's agenda).

The public face of clips for meetings: which ready clips and moments a person may pick,
one of them by id within the child, whether one reaches the parents, and which of a list a
person may watch now. Every answer goes through the same audience and consent clause as the
clip pages (``queries.clip_clause``); nothing here decides a permission of its own.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, String, bindparam, select, type_coerce
from sqlalchemy.orm import joinedload

from app.circle.audience import Audience, visible_or_404
from app.circle.models import Role
from app.circle.policy import Seat
from app.clips.models import Clip, ClipState, Moment, MomentTag
from app.clips.services import queries, sharing
from app.core.db import DbSession, rows
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


class MomentRow(NamedTuple):
    """A moment of :func:`candidate_rows` as plain values: what a page draws of it and what
    :func:`shown_to_parents` reads. Its tag and audience as the values of their enums (a
    ``StrEnum`` equals its value): turning each row's into members cost the page more than
    the rest of the row."""

    id: int
    clip_id: int
    start_s: float
    end_s: float | None
    tag: str | None  # a Tag's value; None for a tag of the school's own
    own_label: str | None  # the school's own tag, when it is one
    text: str
    audience: str  # an Audience's value


def candidate_rows(
    session: DbSession, seat: Seat, clip_id: int, pair_id: int | None = None
) -> list[MomentRow]:
    """:func:`candidate_moments` of clip ``clip_id`` and the clip beside it (``pair_id``,
    None: none), both clips ``seat`` may watch, as plain values for a page that draws them
    (meeting mode's item): the same moments in the same order, without loading the rows
    behind them. One query, its statement built once per role."""
    params = {
        "child_id": seat.child.id,
        "user_id": seat.user.id,
        "clip": clip_id,
        "pair": clip_id if pair_id is None else pair_id,
    }
    return [MomentRow._make(row) for row in rows(session, _rows_statement(seat.role), params)]


def _candidates(
    role: Role, stmt: Select[*tuple[Any, ...]], in_clips: ColumnElement[bool]
) -> Select[*tuple[Any, ...]]:
    """``stmt`` limited to the moments of :func:`candidate_moments`: those ``role``'s person
    sees in the clips ``in_clips`` says, by clip and time, at most :data:`PICK_LIMIT`."""
    audience = queries.moment_rule(role, bindparam("child_id"), bindparam("user_id"))
    return (
        stmt.where(audience, in_clips)
        .order_by(Moment.clip_id, Moment.start_s, Moment.id)
        .limit(PICK_LIMIT)
    )


@lru_cache(maxsize=8)
def _moments_statement(role: Role) -> Select[Moment]:
    # Built once per role, the seat's person and child and the clips' ids bound when it runs:
    # the agenda's form asks it on every visit, and building it costs more than running it.
    in_clips = Moment.clip_id.in_(bindparam("ids", expanding=True))
    return _candidates(role, select(Moment), in_clips).options(
        joinedload(Moment.clip), joinedload(Moment.custom_tag)
    )


@lru_cache(maxsize=8)
def _rows_statement(role: Role) -> Select[*tuple[Any, ...]]:
    # The same moments as columns, built once per role as :func:`_moments_statement` is; a
    # clip and its pair as two plain parameters: an expanding list of ids is written into
    # the statement anew on every run, and meeting mode asks this on every step.
    columns = select(
        Moment.id,
        Moment.clip_id,
        Moment.start_s,
        Moment.end_s,
        type_coerce(Moment.tag, String).label("tag"),
        MomentTag.label,
        Moment.text,
        type_coerce(Moment.audience, String).label("audience"),
    ).outerjoin(MomentTag, MomentTag.id == Moment.custom_tag_id)
    in_clips = Moment.clip_id.in_([bindparam("clip"), bindparam("pair")])
    return _candidates(role, columns, in_clips)


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


def reaches_parents(clip: sharing.PeopleInView) -> bool:
    """True when ``clip`` (a clip or its plain values) is shown to everyone in the circle,
    parents included (its audience is the circle, and the people in view were cleared where
    that was needed)."""
    return clip.audience is Audience.CIRCLE and sharing.may_reach_circle(clip)


def moment_reaches_parents(moment: Moment) -> bool:
    """True when ``moment`` and its clip are both shown to the parents."""
    return shown_to_parents(moment, reaches_parents(moment.clip))


def shown_to_parents(moment: Moment | MomentRow, clip_reaches: bool) -> bool:
    """True when ``moment`` (a moment or its plain values) and its clip are both shown to
    the parents; ``clip_reaches``: whether its clip is (:func:`reaches_parents`, asked once
    for all the moments of a clip)."""
    return clip_reaches and moment.audience == Audience.CIRCLE


def watchable_ids(session: DbSession, seat: Seat, clip_ids: Collection[int]) -> set[int]:
    """Which of ``clip_ids`` ``seat`` may watch now (audience and consent). One query, none
    for no ids."""
    ids = set(clip_ids)
    if not ids:
        return set()
    params = {**queries.params_of(seat), "ids": sorted(ids)}
    return {row[0] for row in rows(session, _watchable_statement(queries.shape_of(seat)), params)}


@lru_cache(maxsize=64)
def _watchable_statement(shape: queries.Shape) -> Select[int]:
    # Built once per shape of the clip clause, the ids bound when it runs.
    clause = queries.clause_of_shape(shape)
    return select(Clip.id).where(clause, Clip.id.in_(bindparam("ids", expanding=True)))
