"""Conversions whose worker died start again by themselves.

A clip whose worker died while converting it is PROCESSING with a free lock
(:func:`app.clips.services.processing.is_stuck`). When the worker starts, and every ten
minutes, such a clip goes back in the queue by itself (``clip_resumed`` is audited), unless it
was attempted :data:`~app.clips.services.processing.AUTO_RESUME_LIMIT` times already: a clip
that kills its worker each time is then recorded as failed and waits for a coach's retry. At
start the worker also queues again every clip still waiting (a job lost with a queue that was
emptied): a clip is processed once however often it is queued.
"""

from __future__ import annotations

import logging

from huey import crontab
from sqlalchemy import select

from app.clips.models import Clip, ClipState
from app.clips.services import cutting, processing, transcode
from app.core import audit
from app.core.db import db
from app.core.jobs import huey, periodic_job

log = logging.getLogger("beeldbrug.clips.processing")


def resume_interrupted(*, waiting_too: bool = False) -> int:
    """Queue again the clips whose worker died (below the attempt limit), and with
    ``waiting_too`` every clip still waiting; record the rest as failed. Returns how many
    clips were queued or changed. Commits per clip; a database error propagates.
    """
    root = processing.media_root()
    again: list[int] = []
    stuck = db.session.scalars(select(Clip.id).where(Clip.state == ClipState.PROCESSING)).all()
    db.session.rollback()
    for clip_id in stuck:
        with transcode.try_clip_lock(root, clip_id) as ours:
            # Holding the lock, nobody can claim the clip while it is put back.
            clip = db.session.get(Clip, clip_id, populate_existing=True) if ours else None
            if (
                clip is not None
                and clip.state is ClipState.PROCESSING
                and clip.attempts < processing.AUTO_RESUME_LIMIT
            ):
                clip.state, clip.progress, clip.failure = ClipState.UPLOADED, 0, None
                audit.record(
                    db.session,
                    "clip_resumed",
                    child=clip.child_id,
                    obj=clip,
                    data={"attempts": clip.attempts, "fragment": clip.is_fragment},
                )
                db.session.commit()
                again.append(clip_id)
            else:
                db.session.rollback()
    if waiting_too:
        waiting = db.session.scalars(select(Clip.id).where(Clip.state == ClipState.UPLOADED))
        again += [clip_id for clip_id in waiting if clip_id not in again]
        db.session.rollback()
    changed = processing.recover_interrupted()  # the rest: failed, retry by hand
    for clip_id in again:
        clip = db.session.get(Clip, clip_id)
        if clip is not None and clip.state is ClipState.UPLOADED:
            cutting.enqueue(clip)
    db.session.rollback()
    if again:
        log.info("queued %d interrupted or waiting clip(s) again", len(again))
    return len(again) + changed


@periodic_job(crontab(minute="*/10"))
def recover_interrupted_clips() -> int:
    """Every ten minutes: queue again the clips whose worker died, or record them as failed
    after too many attempts (:func:`resume_interrupted`)."""
    return resume_interrupted()


@huey.on_startup()
def resume_when_the_worker_starts() -> None:
    """When a worker starts: resume what a dead worker left, and queue the waiting clips."""
    try:
        with huey.app().app_context():
            resume_interrupted(waiting_too=True)
    except Exception:  # a worker that cannot resume still converts what is queued
        log.exception("interrupted clips could not be resumed at start")
