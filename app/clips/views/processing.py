"""Clip pages: how far the conversion of a clip is (JSON for the page), and trying again.

The clip page shows ``templates/clips/_processing.html`` (macro ``processing_panel``) while a
clip is not ready; ``static/js/clip-status.js`` asks :func:`status` every second and reloads
the page once the clip is ready.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, redirect, url_for

from app.circle import routes
from app.circle.policy import Action, Seat
from app.clips import bp
from app.clips.models import Clip, ClipState
from app.clips.services import cutting, processing, queries
from app.core import heartbeat
from app.core.db import db
from app.core.forms import ConfirmForm
from app.core.i18n import gettext as _
from app.core.web import act

#: States in which a clip waits on the background worker.
WAITING = frozenset({ClipState.UPLOADED, ClipState.PROCESSING})


@bp.app_template_global("clip_processing")
def processing_status(clip: Clip, may_retry: bool = False) -> dict[str, Any]:
    """What the page shows of a clip's processing (JSON-ready).

    ``retryable`` is true only when ``may_retry`` (the person's seat may ``Action.EDIT_CLIP``)
    and the clip can be retried now. ``worker_stopped`` is true while the clip waits on a
    background worker that left no heartbeat for a few minutes.
    """
    state = processing.shown_state(clip)
    code = processing.failure_code(clip)
    failure = processing.failure_message(code)
    # Interrupted, and starting again by itself: not "failed", and the page keeps asking.
    resumes = code == processing.INTERRUPTED_RESUMES
    label = _("Conversion interrupted") if resumes else processing.STATE_LABELS[state]
    poster = None
    if clip.poster_key:
        poster = url_for("clips.poster", child_id=clip.child_id, clip_id=clip.id)
    return {
        "state": state.value,
        "label": str(label),
        "resumes": resumes,
        "progress": 100 if state is ClipState.READY else max(0, min(99, clip.progress or 0)),
        "poster_url": poster,
        "failure": str(failure) if failure is not None else None,
        "retryable": state is ClipState.FAILED and may_retry,
        # Its own state, not the shown one: a clip stuck in the queue shows as failed.
        "worker_stopped": clip.state in WAITING and not heartbeat.status().running,
        "retry_url": url_for("clips.retry", child_id=clip.child_id, clip_id=clip.id),
    }


@bp.get("/children/<int:child_id>/clips/<int:clip_id>/status")
@routes.for_child(Action.VIEW_CLIPS)
def status(seat: Seat, clip_id: int) -> Any:
    clip = queries.clip_or_404(seat, clip_id)
    return jsonify(processing_status(clip, seat.may(Action.EDIT_CLIP)))


@bp.post("/children/<int:child_id>/clips/<int:clip_id>/retry")
@routes.for_child(Action.EDIT_CLIP)
def retry(seat: Seat, clip_id: int) -> Any:
    clip = queries.clip_or_404(seat, clip_id)
    if ConfirmForm().validate_on_submit():
        again = act(
            lambda: processing.retry(db.session, clip, actor=seat.user),
            _("The clip is being converted again."),
        )
        if again is not None:
            cutting.enqueue(again)
    return redirect(url_for("clips.show", child_id=seat.child.id, clip_id=clip.id))
