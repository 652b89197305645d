"""Who a clip or a moment is shown to: changing its audience (DESIGN.md rule 2, issue 7 item 7).

The rules themselves live in :mod:`app.circle.policy` (``may_set_audience``): the uploader
chooses between private and team, so a parent's home recording reaches the school team only
when that parent opens it; only a coach widens to the circle. This module adds what the policy
cannot know about a clip: one that shows other recognisable people (classmates, siblings,
staff) reaches the circle only once a coach confirms they are covered by consent or made
unrecognisable. That confirmation is a separate act, recorded with who and when.

Every service keeps the invariant that access relies on: a clip with audience circle either
does not show others or has been cleared. Marking a circle clip as showing others therefore
narrows it to the team. Services add, flush and audit; the caller commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import select

from app.circle import policy
from app.circle.audience import Audience, audience_or_403
from app.circle.models import User
from app.circle.policy import Seat
from app.clips.models import Clip, Moment
from app.core import audit
from app.core.db import DbSession, utcnow
from app.core.errors import ForbiddenError, NotFoundError, RefusedError
from app.core.i18n import lazy_gettext as _l

OTHERS_NOT_CLEARED = _l(
    "Other people can be recognised in this clip. Confirm first that they are covered by "
    "consent or made unrecognisable; then you can share it with everyone in the circle."
)


class PeopleInView(Protocol):
    """A clip, or a clip's plain values (a page's), as :func:`may_reach_circle` and the
    rules built on it read it."""

    @property
    def audience(self) -> Audience: ...
    @property
    def shows_others(self) -> bool: ...
    @property
    def others_cleared_at(self) -> datetime | None: ...


def may_reach_circle(clip: PeopleInView) -> bool:
    """True when nothing about the people in view keeps ``clip`` (a clip or its plain
    values) from the circle."""
    return not clip.shows_others or clip.others_cleared_at is not None


def set_clip_audience(session: DbSession, clip: Clip, new: Audience, *, seat: Seat) -> bool:
    """Give ``clip`` the audience ``new`` on behalf of ``seat``'s person; True when it changed.

    Raises NotFoundError for a clip of another child than the seat's, ForbiddenError when
    ``seat`` may not set ``new`` (see
    ``may_set_audience``: only a coach widens to the circle, a coach does not open a
    parent's private home recording), and RefusedError when ``new`` is the circle while other
    people in view have not been cleared. Setting the audience it already has changes nothing
    and records nothing.
    """
    _of_seats_child(seat, clip)
    new = audience_or_403(
        seat, uploader_id=clip.uploader_id, current=clip.audience, new=Audience(new)
    )
    if new is Audience.CIRCLE and not may_reach_circle(clip):
        raise RefusedError(OTHERS_NOT_CLEARED, field="audience")
    if new is clip.audience:
        return False
    _change(session, clip, "clip_audience_changed", new, actor=seat.user)
    return True


def set_moment_audience(session: DbSession, moment: Moment, new: Audience, *, seat: Seat) -> bool:
    """Give ``moment`` the audience ``new`` on behalf of ``seat``'s person; True when it
    changed.

    The same rule as for clips, with the moment's author in the uploader's place. Raises
    NotFoundError for a moment of another child, ForbiddenError when ``seat`` may not set
    ``new``. Setting the audience it already
    has changes nothing and records nothing.
    """
    _of_seats_child(seat, moment)
    new = audience_or_403(
        seat, uploader_id=moment.author_id, current=moment.audience, new=Audience(new)
    )
    if new is moment.audience:
        return False
    _change(session, moment, "moment_audience_changed", new, actor=seat.user)
    return True


def confirm_others_cleared(session: DbSession, clip: Clip, *, seat: Seat) -> None:
    """Record that the coach in ``seat`` confirms the other people in ``clip`` are covered by
    consent or made unrecognisable, so the clip may reach the circle. For a recording the
    confirmation covers its fragments too (they show the same people).

    Raises NotFoundError for a clip of another child than the seat's, ForbiddenError when
    the policy does not let ``seat`` edit the child's clips (``Action.EDIT_CLIP``: a coach), and
    RefusedError when the clip is not marked as showing others or was already confirmed (a
    double submit changes nothing).
    """
    actor = _may_edit_or_forbidden(seat, clip, "only_a_coach_clears_others")
    if not clip.shows_others:
        raise RefusedError(_l("This clip is not marked as showing other people."))
    if clip.others_cleared_at is not None:
        raise RefusedError(_l("This was already confirmed."))
    now = utcnow()
    for each in _with_fragments(session, clip):
        if not each.shows_others or each.others_cleared_at is not None:
            continue
        each.others_cleared_at = now
        each.others_cleared_by_id = actor.id
        session.flush()
        audit.record(session, "clip_others_cleared", actor=actor, child=each.child_id, obj=each)


def mark_shows_others(session: DbSession, clip: Clip, *, seat: Seat) -> None:
    """Mark ``clip`` (and, for a recording, its fragments) as showing other recognisable
    people, on behalf of the coach in ``seat``.

    Any earlier confirmation no longer holds (what is in view is being reconsidered), and
    what is shown to the circle is narrowed to the team until a coach confirms again: the
    invariant access relies on. Raises NotFoundError for a clip of another child than the
    seat's, ForbiddenError when the policy does not let ``seat`` edit the child's clips;
    marking a clip that is already marked and not confirmed changes nothing.
    """
    actor = _may_edit_or_forbidden(seat, clip, "only_a_coach_marks_others")
    for each in _with_fragments(session, clip):
        if each.shows_others and each.others_cleared_at is None:
            continue
        each.shows_others = True
        each.others_cleared_at = None
        each.others_cleared_by_id = None
        session.flush()
        audit.record(session, "clip_shows_others", actor=actor, child=each.child_id, obj=each)
        if each.audience is Audience.CIRCLE:
            _change(session, each, "clip_audience_changed", Audience.TEAM, actor=actor)


def _with_fragments(session: DbSession, clip: Clip) -> list[Clip]:
    """``clip``, and when it is a recording the fragments cut from it."""
    if clip.is_fragment:
        return [clip]
    fragments = session.scalars(
        select(Clip).where(Clip.parent_id == clip.id, Clip.child_id == clip.child_id)
    ).all()
    return [clip, *fragments]


def _change(
    session: DbSession, obj: Clip | Moment, action: str, new: Audience, *, actor: User
) -> None:
    old = obj.audience
    obj.audience = new
    session.flush()
    audit.record(
        session,
        action,
        actor=actor,
        child=obj.child_id,
        obj=obj,
        data={"from": old.value, "to": new.value},
    )


def _may_edit_or_forbidden(seat: Seat, clip: Clip, reason: str) -> User:
    """The actor, ``seat.user``, when ``clip`` is of the seat's child and the policy lets the
    seat edit its clips. Raises NotFoundError or ForbiddenError otherwise."""
    _of_seats_child(seat, clip)
    if not seat.may(policy.Action.EDIT_CLIP):
        policy.log_denied(reason, seat.child.id)
        raise ForbiddenError(reason)
    return seat.user


def _of_seats_child(seat: Seat, obj: Clip | Moment) -> None:
    """Raises NotFoundError unless ``obj`` belongs to ``seat``'s child (ids are looked up
    within their child; a service handed another child's object refuses it)."""
    if obj.child_id != seat.child.id:
        policy.log_denied("object_of_another_child", seat.child.id)
        raise NotFoundError("object_of_another_child")
