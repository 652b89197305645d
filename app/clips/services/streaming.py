"""Streaming a clip: which file a watcher gets, and when a playback starts (the audit event).

Access is decided before this module is asked, on every request, every range request of a
playing video included (``queries.clip_or_404``: audience and consent), so a withdrawal or a
removal from the circle stops a playing video at its next range request. The bytes then leave
through ``app.core.storage.send_stored``: ranges, ``nosniff``, same-origin only, never cached,
never as an attachment; in the scale-out profile nginx sends them after the check
(``X-Accel-Redirect``).

A player asks for a video in many range requests; only the start of a playback is logged
(DESIGN.md rule 6). A request without a Range header, or with a range from byte 0, starts a
playback; browsers send a few of those when a player starts (metadata, then the first bytes),
so one person's starts of one clip within :data:`PLAY_WINDOW` count as one playback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import abort, current_app, request
from sqlalchemy import and_, case, select
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.http import parse_range_header
from werkzeug.wrappers import Response as WerkzeugResponse

from app.circle.audience import Audience
from app.circle.models import Child, User
from app.clips.models import Clip, ClipState
from app.clips.services import queries
from app.core import audit, storage
from app.core.audit import AuditEvent
from app.core.db import DbSession, utcnow

#: Starts of the same clip by the same person closer together than this are one playback.
PLAY_WINDOW = timedelta(minutes=2)
PLAYED = "clip_played"
VIDEO_TYPE = "video/mp4"
POSTER_TYPE = "image/jpeg"

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


def video_key(clip: Clip) -> str:
    """The storage key of ``clip``'s web version.

    Raises NotFound while the clip has none to watch (uploaded, processing or failed): the
    original is never sent.
    """
    if clip.state is not ClipState.READY or not clip.web_key:
        abort(404)
    return clip.web_key


def send_video(clip: Clip) -> WerkzeugResponse:
    """The response carrying ``clip``'s web version (or the requested range of it).

    Raises NotFound when the clip has no web version to watch or its file is gone (a purge
    that destroyed the file but whose row has not gone yet).
    """
    return _send(video_key(clip), VIDEO_TYPE)


def send_poster(clip: Clip) -> WerkzeugResponse:
    """The response carrying ``clip``'s poster; it exists from the first seconds of
    processing on. Raises NotFound when there is none (yet, or any more)."""
    if not clip.poster_key:
        abort(404)
    return _send(clip.poster_key, POSTER_TYPE)


def _send(key: str, mimetype: str) -> WerkzeugResponse:
    try:
        refused = _unsatisfiable(key)
        if refused is not None:
            return refused
        # Never as an attachment and without a download name: footage is streamed, not
        # downloaded (DESIGN.md rule 4).
        return storage.send_stored(key, mimetype=mimetype)
    except (FileNotFoundError, storage.InvalidKeyError):
        abort(404)


def _unsatisfiable(key: str) -> WerkzeugResponse | None:
    """The 416 answer to a single range past the end, when nginx would send the bytes.

    nginx answers such a range itself too, but its error path repeats every ``add_header``
    (two of each header); answered here, the 416 is the same in both profiles. Raises
    FileNotFoundError, InvalidKeyError.
    """
    header = request.headers.get("Range")
    if not header or not current_app.config.get("MEDIA_ACCEL_PREFIX"):
        return None
    asked = parse_range_header(header)
    if asked is None or len(asked.ranges) != 1:
        return None  # malformed (HTTP says: ignore it) or several ranges: nginx decides
    size = storage.path_of(key).stat().st_size
    if asked.range_for_length(size) is not None:
        return None
    response = RequestedRangeNotSatisfiable(length=size).get_response()
    response.headers.update(storage.SEND_HEADERS)
    return response


def last_played(session: DbSession, clip: Clip, viewer: User) -> AuditEvent | None:
    """The newest ``clip_played`` event of ``viewer`` for ``clip``, or None. Raises nothing
    beyond database errors."""
    return session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.action == PLAYED,
            AuditEvent.actor_id == viewer.id,
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


def watched(session: DbSession, child: Child, *, viewer: User, page: int = 1) -> WatchedPage:
    """Who started playing which clip of ``child`` and when, newest first, a page at a time.

    Every playback start of every clip of the child is listed (a parent sees that the team
    watched too); a clip ``viewer`` may not see now, by audience or consent, is named by its
    audience alone, and a destroyed clip as such. Two queries whatever the size of the log.
    Raises nothing beyond database errors.
    """
    page = max(1, page)
    visible = queries.clip_clause(viewer, child)
    rows = session.execute(
        select(
            AuditEvent.created_at,
            User.name,
            Clip.id,
            case((visible, Clip.title), else_=None),
            Clip.audience,
            Clip.parent_id,
        )
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .outerjoin(
            Clip,
            and_(
                AuditEvent.object_type == Clip.__name__,
                Clip.id == AuditEvent.object_id,
                Clip.child_id == child.id,
            ),
        )
        .where(AuditEvent.action == PLAYED, AuditEvent.child_id == child.id)
        .order_by(AuditEvent.id.desc())
        .offset((page - 1) * WATCHED_PAGE)
        .limit(WATCHED_PAGE + 1)
    ).all()
    watches = [
        Watch(
            at=at,
            watcher=name,
            clip_id=clip_id if title is not None else None,
            title=title,
            audience=audience,
            is_fragment=parent_id is not None,
        )
        for at, name, clip_id, title, audience, parent_id in rows[:WATCHED_PAGE]
    ]
    return WatchedPage(watches, page, has_next=len(rows) > WATCHED_PAGE)
