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

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.circle import policy
from app.circle.audience import Audience
from app.circle.models import Child, User
from app.clips.models import Clip, Moment
from app.clips.services import queries
from app.core import audit
from app.core.db import DbSession, utcnow
from app.core.errors import ForbiddenError, RefusedError

OTHERS_NOT_CLEARED = _l(
    "Other people can be recognised in this clip. Confirm first that they are covered by "
    "consent or made unrecognisable; then you can share it with everyone in the circle."
)


def may_reach_circle(clip: Clip) -> bool:
    """True when nothing about the people in view keeps ``clip`` from the circle."""
    return not clip.shows_others or clip.others_cleared_at is not None


def set_clip_audience(session: DbSession, clip: Clip, new: Audience, *, actor: User) -> bool:
    """Give ``clip`` the audience ``new`` on behalf of ``actor``; True when it changed.

    Raises ForbiddenError when ``actor`` may not set ``new`` (see
    ``may_set_audience``: only a coach widens to the circle, a coach does not open a
    parent's private home recording), and RefusedError when ``new`` is the circle while other
    people in view have not been cleared. Setting the audience it already has changes nothing
    and records nothing.
    """
    child = _child(session, clip.child_id)
    new = queries.audience_or_forbidden(
        actor, child, uploader_id=clip.uploader_id, current=clip.audience, new=Audience(new)
    )
    if new is Audience.CIRCLE and not may_reach_circle(clip):
        raise RefusedError(OTHERS_NOT_CLEARED, field="audience")
    if new is clip.audience:
        return False
    _change(session, clip, "clip_audience_changed", new, actor=actor)
    return True


def set_moment_audience(session: DbSession, moment: Moment, new: Audience, *, actor: User) -> bool:
    """Give ``moment`` the audience ``new`` on behalf of ``actor``; True when it changed.

    The same rule as for clips, with the moment's author in the uploader's place. Raises
    ForbiddenError when ``actor`` may not set ``new``. Setting the audience it already
    has changes nothing and records nothing.
    """
    child = _child(session, moment.child_id)
    new = queries.audience_or_forbidden(
        actor, child, uploader_id=moment.author_id, current=moment.audience, new=Audience(new)
    )
    if new is moment.audience:
        return False
    _change(session, moment, "moment_audience_changed", new, actor=actor)
    return True


def confirm_others_cleared(session: DbSession, clip: Clip, *, actor: User) -> None:
    """Record that the coach ``actor`` confirms the other people in ``clip`` are covered by
    consent or made unrecognisable, so the clip may reach the circle. For a recording the
    confirmation covers its fragments too (they show the same people).

    Raises ForbiddenError when the policy does not let ``actor`` edit the child's clips now
    (``Action.EDIT_CLIP``: a coach), and
    RefusedError when the clip is not marked as showing others or was already confirmed (a
    double submit changes nothing).
    """
    _may_edit_or_forbidden(actor, _child(session, clip.child_id), "only_a_coach_clears_others")
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


def mark_shows_others(session: DbSession, clip: Clip, *, actor: User) -> None:
    """Mark ``clip`` (and, for a recording, its fragments) as showing other recognisable
    people, on behalf of the coach ``actor``.

    Any earlier confirmation no longer holds (what is in view is being reconsidered), and
    what is shown to the circle is narrowed to the team until a coach confirms again: the
    invariant access relies on. Raises ForbiddenError when the policy does not let ``actor`` edit
    the clips of
    the child now; marking a clip that is already marked and not confirmed changes nothing.
    """
    _may_edit_or_forbidden(actor, _child(session, clip.child_id), "only_a_coach_marks_others")
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


def _may_edit_or_forbidden(actor: Any, child: Child, reason: str) -> None:
    """Raises ForbiddenError unless the policy lets ``actor`` edit ``child``'s clips now."""
    if not policy.may(actor, child, policy.Action.EDIT_CLIP):
        policy.log_denied(reason, child.id)
        raise ForbiddenError(reason)


def _child(session: DbSession, child_id: int) -> Child:
    child = session.get(Child, child_id)
    assert child is not None  # a clip's child goes with it (ON DELETE CASCADE)
    return child
