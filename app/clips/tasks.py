"""Background work on clips (Huey): the poster and web version of an upload, fragments.

The jobs call the services; the services queue jobs by name (``jobs.queue``), never by
importing this module.
"""

from __future__ import annotations

from huey import crontab

from app.clips.services import cutting, processing, retention, upload
from app.core import jobs
from app.core.db import db
from app.core.jobs import huey, job


@job()
def process_clip(clip_id: int) -> None:
    """Make the poster and the web version of an uploaded clip (see services.processing)."""
    processing.process(clip_id)


@job()
def cut_fragment(fragment_id: int) -> None:
    """Cut a fragment from its recording's web version (see services.cutting)."""
    cutting.cut_fragment(fragment_id)


@job()
def recover_interrupted_clips() -> int:
    """Record clips whose worker died while processing them as failed (retryable)."""
    return processing.recover_interrupted()


@huey.periodic_task(crontab(minute="*/10"), name="clips.recover_interrupted")
def every_ten_minutes_recover() -> None:
    recover_interrupted_clips()


@huey.on_startup()
def ready_for_the_first_upload() -> None:
    """Build the worker's app when the worker starts (the video modules are loaded with this
    one): done on the first job instead, it would delay the first poster by a second or more."""
    jobs._app_for_worker()  # the one app every job of this worker runs in


@job()
def purge_footage() -> int:
    """Destroy the footage whose retention ended or whose consent was withdrawn (retention)."""
    report = retention.purge(db.session)
    db.session.commit()
    return report.destroyed


# 03:15 UTC is after midnight in Amsterdam, summer and winter: a new day on the school's calendar.
@huey.periodic_task(crontab(hour="3", minute="15"), name="clips.daily_purge")
def daily_purge() -> None:
    purge_footage()


@job()
def sweep_uploads() -> int:
    """Remove abandoned uploads (expired rows and their partial files) (services.upload)."""
    swept = upload.sweep_uploads(db.session)
    db.session.commit()
    return swept


@huey.periodic_task(crontab(hour="3", minute="45"), name="clips.daily_sweep_uploads")
def daily_sweep_uploads() -> None:
    sweep_uploads()
