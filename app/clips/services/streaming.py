"""Streaming a clip: which file a watcher gets, and when a playback starts (the audit event).

Access is decided before this module is asked, on every request, every range request of a
playing video included (``queries.clip_or_404``: audience and consent), so a withdrawal or a
removal from the circle stops a playing video at its next range request. The view
(``app.clips.views.stream``) then sends the file of :func:`video_key` or :func:`poster_key`
through ``app.core.storage.send_stored``: ranges, ``nosniff``, same-origin only, never
cached, never as an attachment; in the scale-out profile nginx sends them after the check
(``X-Accel-Redirect``).

No answer carries more than a few seconds of video (:func:`range_cap`): an open-ended range
(``bytes=0-``, what players send) gets a partial 206 of about ``STREAM_CHUNK_SECONDS``, which
the player follows with the next range request, checked again. So a withdrawal stops a
playing video within seconds, not after the whole clip was buffered.

A player asks for a video in many range requests; only the start of a playback is logged
(DESIGN.md rule 6). A request without a Range header, or with a range from byte 0, starts a
playback; browsers send a few of those when a player starts (metadata, then the first bytes),
so one person's starts of one clip within :data:`PLAY_WINDOW` count as one playback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import BindParameter, Select, and_, bindparam, case, select

from app.circle.audience import Audience
from app.circle.models import User
from app.circle.policy import Seat
from app.clips.models import Clip, ClipState
from app.clips.services import queries
from app.core import audit, ranges
from app.core.audit import AuditEvent
from app.core.db import DbSession, utcnow
from app.core.db import rows as rows_of
from app.core.errors import NotFoundError

#: Starts of the same clip by the same person closer together than this are one playback.
PLAY_WINDOW = timedelta(minutes=2)
PLAYED = "clip_played"

# "bytes=0-", "bytes=0-1023", "bytes=0-1,500-" (a list whose first range starts at 0).
_FROM_START = re.compile(r"^\s*bytes\s*=\s*0*0\s*-", re.IGNORECASE)


def starts_playback(range_header: str | None) -> bool:
    """Does a request with this Range header start a playback (rather than continue one)?

    No Range header, or a range from the first byte: yes. A range further on (a seek, the
    next chunk) or a suffix range (``bytes=-500``, players reading an index at the end): no.
    """
    if range_header is None or not range_header.strip():
        return True
    return bool(_FROM_START.match(range_header))


def range_cap(clip: Clip) -> int:
    """The most bytes one answer of ``clip``'s video may carry: ``STREAM_CHUNK_SECONDS`` of
    it at its average bitrate (web size over duration), never under ``STREAM_CHUNK_MIN_BYTES``.
    Raises nothing."""
    config = current_app.config
    return ranges.bytes_for_seconds(
        clip.web_size or 0,
        clip.duration_s,
        float(config["STREAM_CHUNK_SECONDS"]),
        int(config["STREAM_CHUNK_MIN_BYTES"]),
    )


def video_key(clip: Clip) -> str:
    """The storage key of ``clip``'s web version.

    Raises NotFoundError while the clip has none to watch (uploaded, processing or failed):
    the original is never sent.
    """
    if clip.state is not ClipState.READY or not clip.web_key:
        raise NotFoundError("clip_not_ready")
    return clip.web_key


def poster_key(clip: Clip) -> str:
    """The storage key of ``clip``'s poster; it exists from the first seconds of processing
    on. Raises NotFoundError when there is none (yet, or any more)."""
    if not clip.poster_key:
        raise NotFoundError("clip_without_poster")
    return clip.poster_key


def last_played(session: DbSession, clip: Clip, viewer: User) -> AuditEvent | None:
    """The newest ``clip_played`` event of ``viewer`` for ``clip``, or None. Raises nothing
    beyond database errors."""
    return session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.action == PLAYED,
            AuditEvent.actor_id == viewer.id,
            # The child too: an erased child's clip ids may be handed out again on SQLite.
            AuditEvent.child_id == clip.child_id,
            AuditEvent.object_type == Clip.__name__,
            AuditEvent.object_id == clip.id,
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )


def note_playback(session: DbSession, clip: Clip, *, viewer: User) -> AuditEvent | None:
    """Record that ``viewer`` started playing ``clip``, unless they did within the window.

    Returns the new audit event, or None when this start belongs to a playback already
    recorded. Two requests racing at the very same instant may both record; that errs on the
    side of logging. Raises nothing beyond database errors; the caller commits.
    """
    previous = last_played(session, clip, viewer)
    if previous is not None and utcnow() - previous.created_at < PLAY_WINDOW:
        return None
    return audit.record(
        session,
        PLAYED,
        actor=viewer,
        child=clip.child_id,
        obj=clip,
        data={"fragment": clip.is_fragment},
    )


# --- who watched ----------------------------------------------------------------------------

#: Rows on one page of "who watched".
WATCHED_PAGE = 50


@dataclass(frozen=True)
class Watch:
    """One playback start as "who watched" shows it.

    ``title`` is None when the viewer may not see the clip (or it was destroyed): the page
    then names it by its audience only, never by its title.
    """

    at: datetime
    watcher: str | None  # None: the account no longer exists
    clip_id: int | None  # set only when the viewer may open the clip
    title: str | None
    audience: Audience | None  # None: the clip was destroyed
    is_fragment: bool


@dataclass(frozen=True)
class WatchedPage:
    watches: list[Watch]
    page: int
    has_next: bool


def watched(session: DbSession, seat: Seat, *, page: int = 1) -> WatchedPage:
    """Who started playing which clip of ``seat``'s child and when, newest first, a page at a
    time.

    Every playback start of every clip of the child is listed (a parent sees that the team
    watched too); a clip the seat's person may not see now, by audience or consent, is named by its
    audience alone, and a destroyed clip as such. Two queries whatever the size of the log.
    Raises nothing beyond database errors.
    """
    page = max(1, page)
    params = {
        **queries.params_of(seat),
        "offset": (page - 1) * WATCHED_PAGE,
        "limit": WATCHED_PAGE + 1,
    }
    rows = rows_of(session, _watched_statement(queries.shape_of(seat)), params)
    watches = [
        Watch(
            at=r.created_at,
            watcher=r.name,
            clip_id=r.id if r.title is not None else None,
            title=r.title,
            audience=r.audience,
            is_fragment=r.parent_id is not None,
        )
        for r in rows[:WATCHED_PAGE]
    ]
    return WatchedPage(watches, page, has_next=len(rows) > WATCHED_PAGE)


@lru_cache(maxsize=64)
def _watched_statement(shape: queries.Shape) -> Select[Any]:
    # Built once per shape of the clip clause, the child, the person and the page bound when it
    # runs (``queries.params_of``): building the clause costs more than running it.
    child: BindParameter[int] = bindparam("clip_child")
    return (
        select(
            AuditEvent.created_at,
            User.name,
            Clip.id,
            case((queries.clause_of_shape(shape), Clip.title), else_=None).label("title"),
            Clip.audience,
            Clip.parent_id,
        )
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .outerjoin(
            Clip,
            and_(
                AuditEvent.object_type == Clip.__name__,
                Clip.id == AuditEvent.object_id,
                Clip.child_id == child,
            ),
        )
        .where(AuditEvent.action == PLAYED, AuditEvent.child_id == child)
        .order_by(AuditEvent.id.desc())
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )
