"""Clip pages: the video and poster of a clip, and who watched the child's clips.

Every request (every range request of a playing video too) loads the clip through
``queries.clip_or_404``, which checks the circle, the audience and consent afresh.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template, request
from werkzeug.exceptions import NotFound, RequestedRangeNotSatisfiable
from werkzeug.http import parse_range_header
from werkzeug.wrappers import Response as WerkzeugResponse

from app.circle import routes
from app.circle.policy import Action, Seat
from app.clips import bp
from app.clips.services import queries, streaming
from app.core import storage
from app.core.db import db
from app.core.i18n import format_datetime

VIDEO_TYPE = "video/mp4"
POSTER_TYPE = "image/jpeg"


@bp.get("/children/<int:child_id>/clips/<int:clip_id>/video")
@routes.for_child(Action.VIEW_CLIPS)
def video(seat: Seat, clip_id: int) -> Any:
    clip = queries.clip_or_404(seat, clip_id)
    response = _send(streaming.video_key(clip), VIDEO_TYPE, most=streaming.range_cap(clip))
    # HEAD (which Flask answers through this view too) plays nothing.
    starting = request.method == "GET" and streaming.starts_playback(request.headers.get("Range"))
    if starting:
        db.write_from_here()  # two players starting together both write their start
        if streaming.note_playback(db.session, clip, viewer=seat.user) is not None:
            db.session.commit()
    return response


@bp.get("/children/<int:child_id>/clips/<int:clip_id>/poster")
@routes.for_child(Action.VIEW_CLIPS)
def poster(seat: Seat, clip_id: int) -> Any:
    clip = queries.clip_or_404(seat, clip_id)
    return _send(streaming.poster_key(clip), POSTER_TYPE)


@bp.get("/children/<int:child_id>/clips/watched")
@routes.for_child(Action.VIEW_WATCHERS)
def watched(seat: Seat) -> Any:
    page = request.args.get("page", 1, type=int) or 1
    listing = streaming.watched(db.session, seat, page=page)
    # Each playback's time, for the machine and written out, worked out here: in the template
    # a method call and a filter per row cost more than the rest of the row.
    rows = [(w, w.at.isoformat(), format_datetime(w.at, "medium")) for w in listing.watches]
    return render_template("clips/watched.html", child=seat.child, listing=listing, rows=rows)


def _send(key: str, mimetype: str, *, most: int | None = None) -> WerkzeugResponse:
    try:
        refused = _unsatisfiable(key)
        if refused is not None:
            return refused
        # Never as an attachment and without a download name: footage is streamed, not
        # downloaded (DESIGN.md rule 4).
        return storage.send_stored(key, mimetype=mimetype, max_range=most)
    except (FileNotFoundError, storage.InvalidKeyError):
        # A purge destroyed the file but its row has not gone yet, or a tampered key.
        raise NotFound() from None


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
