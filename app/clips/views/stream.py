"""Clip pages: the video and poster of a clip, and who watched the child's clips.

Every request (every range request of a playing video too) loads the clip through
``queries.clip_or_404``, which checks the circle, the audience and consent afresh.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_login import current_user

from app.circle import routes
from app.circle.models import Child
from app.circle.policy import Action
from app.clips import bp
from app.clips.services import queries, streaming
from app.core.db import db


@bp.get("/children/<int:child_id>/clips/<int:clip_id>/video")
@routes.for_child(Action.VIEW_CLIPS)
def video(child: Child, clip_id: int) -> Any:
    clip = queries.clip_or_404(child, clip_id, current_user)
    response = streaming.send_video(clip)
    # HEAD (which Flask answers through this view too) plays nothing.
    starting = request.method == "GET" and streaming.starts_playback(request.headers.get("Range"))
    if starting and streaming.note_playback(db.session, clip, viewer=current_user) is not None:
        db.session.commit()
    return response


@bp.get("/children/<int:child_id>/clips/<int:clip_id>/poster")
@routes.for_child(Action.VIEW_CLIPS)
def poster(child: Child, clip_id: int) -> Any:
    clip = queries.clip_or_404(child, clip_id, current_user)
    return streaming.send_poster(clip)


@bp.get("/children/<int:child_id>/clips/watched")
@routes.for_child(Action.VIEW_WATCHERS)
def watched(child: Child) -> Any:
    page = request.args.get("page", 1, type=int) or 1
    listing = streaming.watched(db.session, child, viewer=current_user, page=page)
    return render_template("clips/watched.html", child=child, listing=listing)
