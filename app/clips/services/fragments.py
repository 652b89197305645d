"""Fragments: a part of a recording, saved by a coach as a clip of its own.

The fragment row is made here (state UPLOADED, in and out points in its recording); the cut
itself is background work (``cutting.cut_fragment``), queued by :func:`queue_cut`
once the row is committed, so the worker finds it.

A fragment is cut from a recording, never from another fragment: its in and out points are
seconds of its recording (``Clip.start_s``/``end_s``), and a fragment of a fragment would need
points in two time lines. On a fragment's page the coach opens the recording to cut again.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Select, bindparam, select

from app.circle import policy
from app.circle.audience import Audience, settable_audiences
from app.circle.policy import Seat
from app.clips.models import Clip, ClipState
from app.clips.services import cutting, queries
from app.core import audit
from app.core.db import DbSession
from app.core.errors import ForbiddenError, RefusedError
from app.core.i18n import lazy_gettext as _l
from app.core.timecode import format_time

#: The shortest and the longest fragment, in seconds. The method works with fragments of
#: about ten seconds; five minutes leaves room without copying the whole recording.
MIN_SECONDS = 1.0
MAX_SECONDS = 300.0


@dataclass(frozen=True)
class FragmentData:
    start_s: float
    end_s: float
    title: str
    audience: Audience


def audiences_for(seat: Seat, recording: Clip) -> tuple[Audience, ...]:
    """The audiences ``seat`` may give a fragment of ``recording``: those they could give
    the recording itself, so a fragment never reaches people its recording may not (a
    parent's private home recording stays away from the school team)."""
    return settable_audiences(seat, uploader_id=recording.uploader_id, current=recording.audience)


def create_fragment(session: DbSession, recording: Clip, data: FragmentData, *, seat: Seat) -> Clip:
    """Make the fragment row of ``recording`` from ``data.start_s`` to ``data.end_s``.

    Raises RefusedError (naming the field) when the recording is a fragment or not ready,
    when a point lies outside the recording, the out point is not after the in point, or
    the fragment is shorter than :data:`MIN_SECONDS` or longer than :data:`MAX_SECONDS`; and
    when it would reach the circle while the recording shows other people who have not been
    cleared. Raises ForbiddenError when ``seat`` (the actor) may not give it ``data.audience``, or
    the recording is not of ``seat``'s child.
    Call :func:`queue_cut` after the commit.
    """
    if recording.child_id != seat.child.id:
        raise ForbiddenError("recording_of_another_child")
    if recording.is_fragment:
        raise RefusedError(_l("Cut fragments from the recording itself, not from a fragment."))
    if recording.state is not ClipState.READY or not recording.duration_s:
        raise RefusedError(_l("The recording can be cut once it is ready."))
    duration = recording.duration_s
    start, end = data.start_s, data.end_s
    if start < 0 or start >= duration:
        raise RefusedError(
            _l("Choose an in point within the recording (0:00 to %(end)s).", end=_t(duration)),
            field="start",
        )
    if end > duration:
        raise RefusedError(_l("The recording ends at %(end)s.", end=_t(duration)), field="end")
    if end <= start:
        raise RefusedError(_l("The out point must come after the in point."), field="end")
    if end - start < MIN_SECONDS:
        raise RefusedError(
            _l("A fragment lasts at least %(n)d second.", n=int(MIN_SECONDS)), field="end"
        )
    if end - start > MAX_SECONDS:
        raise RefusedError(
            _l("A fragment lasts at most %(n)d minutes.", n=int(MAX_SECONDS // 60)), field="end"
        )
    title = " ".join(data.title.split())
    if not title:
        raise RefusedError(_l("Please fill in this field."), field="title")
    child, actor = seat.child, seat.user
    if data.audience not in audiences_for(seat, recording):
        policy.log_denied(f"fragment_audience_{data.audience}_not_allowed", child.id)
        raise ForbiddenError("fragment_audience_not_allowed")
    if (
        data.audience is Audience.CIRCLE
        and recording.shows_others
        and recording.others_cleared_at is None
    ):
        raise RefusedError(
            _l(
                "Other people are recognisable in this recording. Share it with the circle "
                "once you have confirmed that they are covered by consent or made "
                "unrecognisable."
            ),
            field="audience",
        )
    fragment = Clip(
        child_id=child.id,
        parent_id=recording.id,
        source=recording.source,
        uploader_id=actor.id,
        title=title,
        recorded_on=recording.recorded_on,
        audience=data.audience,
        # The same people are in view as in the recording, and the same confirmation holds.
        shows_others=recording.shows_others,
        others_cleared_at=recording.others_cleared_at,
        others_cleared_by_id=recording.others_cleared_by_id,
        start_s=round(start, 3),
        end_s=round(end, 3),
        state=ClipState.UPLOADED,
        destroy_after=recording.destroy_after,
    )
    session.add(fragment)
    session.flush()
    audit.record(
        session,
        "fragment_created",
        actor=actor,
        child=child,
        obj=fragment,
        data={
            "recording": recording.id,
            "start": fragment.start_s,
            "end": fragment.end_s,
            "audience": str(data.audience),
        },
    )
    return fragment


def visible_recording(session: DbSession, seat: Seat, clip: Clip) -> Clip | None:
    """A fragment's recording when ``seat`` may see it too, else None (also for a recording).

    A parent who sees a fragment shared with the circle learns nothing of a recording kept
    for the team, not even its title. Raises nothing.
    """
    if not clip.is_fragment:
        return None
    params = {**queries.params_of(seat), "recording_id": clip.parent_id}
    return session.scalar(_recording_statement(queries.shape_of(seat)), params)


@lru_cache(maxsize=64)
def _recording_statement(shape: queries.Shape) -> Select[Clip]:
    # Built once per shape of the clip clause: every fragment's page asks it.
    clause = queries.clause_of_shape(shape)
    return select(Clip).where(Clip.id == bindparam("recording_id"), clause)


def queue_cut(fragment: Clip) -> None:
    """Queue the cut of a committed fragment (the worker reads its row)."""
    cutting.cut_fragment(fragment.id)


def _t(seconds: float) -> str:
    return format_time(seconds)
