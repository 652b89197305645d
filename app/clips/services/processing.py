"""The clip worker's machinery: claim a clip, make its web version, publish or fail it, retry.

A clip is made watchable by a *maker*: the conversion of an uploaded recording
(:mod:`app.clips.services.conversion`) or the cut of a fragment
(:mod:`app.clips.services.cutting`). Both go through :func:`run` here: uploaded → processing →
ready | failed. :func:`run` claims the clip (PROCESSING, one attempt more, committed so the
page shows it); the maker publishes **the poster first** (:meth:`Work.publish_poster`, the page
shows it within about two seconds) and writes its progress to ``clip.progress`` about every
half second (:meth:`Work.progress`), each in its own short transaction. The web version is
written to a scratch folder and stored atomically; the clip becomes READY with its duration,
size and hash, and only then is the original deleted (data minimisation).

No transaction stays open while ffmpeg runs: on SQLite a worker's transaction holds the write
lock, and the web pages would wait for it.

**Failure** (ffmpeg exits non-zero, the probe fails, the disk is full, anything else): the clip
becomes FAILED with a short code (never a traceback; the log has the details), the poster and
any partial output are removed, the original is kept so that a retry can work, and
``clip_failed`` is audited.

**A worker that dies** (a crash, SIGKILL, a power cut) cannot mark its clip FAILED. The clip's
lock (``transcode.clip_lock``, a flock the kernel drops with the process) tells: it is taken
before the clip becomes PROCESSING and let go only after READY or FAILED is committed, so a
PROCESSING clip whose lock is free has no worker (:func:`is_stuck`). Such a clip is shown and
treated as interrupted: the worker puts it back in the queue by itself when it starts, and
every ten minutes (:mod:`app.clips.services.recovery`), up to :data:`AUTO_RESUME_LIMIT`
attempts; after that :func:`recover_interrupted` records it as FAILED and a coach may retry.
Its web version never went out: it lives in the scratch folder until stored, and READY is the
last thing written. Ffmpeg dies with the worker too (the kernel's
parent-death signal, see ``transcode``). An uploaded clip whose job was lost (it waited over
an hour) may be retried as well.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from app.circle.models import User
from app.clips.models import Clip, ClipState
from app.clips.services import transcode
from app.core import audit, storage
from app.core.db import DbSession, db, utcnow
from app.core.errors import RefusedError
from app.core.i18n import lazy_gettext as _l

log = logging.getLogger("beeldbrug.clips.processing")

#: How long an uploaded clip may wait for a worker before it counts as stuck. One worker
#: converts a one-minute clip in about 15 s: an hour is a long queue, not a busy one.
QUEUE_PATIENCE = timedelta(hours=1)

INTERRUPTED = "interrupted"  # the worker died while processing, too often to resume again
INTERRUPTED_RESUMES = "interrupted_resumes"  # the worker died; it resumes the clip by itself
#: How many times a conversion is started by itself after its worker died (a clip that kills
#: its worker every time then waits for a coach's retry).
AUTO_RESUME_LIMIT = 3
NOT_STARTED = "not_started"  # queued long ago and never picked up (a lost job)
ORIGINAL_MISSING = "original_missing"  # the original file is gone
SOURCE_NOT_READY = "source_not_ready"  # a fragment's recording has no web version
INTERNAL = "internal"  # anything else; the log has the details

STATE_LABELS: dict[ClipState, Any] = {
    ClipState.UPLOADED: _l("Waiting to be converted"),
    ClipState.PROCESSING: _l("Being converted"),
    ClipState.READY: _l("Ready to watch"),
    ClipState.FAILED: _l("Conversion failed"),
}
FAILURE_MESSAGES: dict[str, Any] = {
    transcode.PROBE_FAILED: _l("The video could not be read."),
    transcode.CONVERSION_FAILED: _l("The video could not be converted."),
    transcode.DISK_FULL: _l("The server ran out of storage space while converting."),
    INTERRUPTED: _l("The conversion was interrupted."),
    INTERRUPTED_RESUMES: _l(
        "The conversion was interrupted. It starts again by itself as soon as the converter "
        "is running again."
    ),
    NOT_STARTED: _l("The conversion did not start."),
    ORIGINAL_MISSING: _l("The uploaded file is missing; upload the video again."),
    SOURCE_NOT_READY: _l("The recording this fragment comes from cannot be watched."),
    INTERNAL: _l("Something went wrong while converting."),
}


@dataclass
class Work:
    """One clip being processed: where its source is, and how to report to the page."""

    clip_id: int
    source: Path
    scratch: Path
    start_s: float | None = None
    end_s: float | None = None
    poster_key: str | None = None

    def progress(self, percent: int) -> None:
        """Write the conversion's progress in a short transaction of its own."""
        db.session.execute(update(Clip).where(Clip.id == self.clip_id).values(progress=percent))
        db.session.commit()

    def publish_poster(self, jpeg: Path) -> None:
        """Store the poster and commit it at once, so the page shows it during conversion.

        Raises OSError when the disk refuses.
        """
        with jpeg.open("rb") as body:
            stored = storage.store_stream(
                body, folder="clips/posters", suffix=".jpg", length=jpeg.stat().st_size
            )
        storage.delete_on_rollback(db.session, stored.key)
        db.session.execute(
            update(Clip).where(Clip.id == self.clip_id).values(poster_key=stored.key)
        )
        db.session.commit()
        self.poster_key = stored.key


#: Makes the web version of a claimed clip in ``work.scratch`` and returns its path.
Maker = Callable[[Work], Path]


def media_root() -> Path:
    """Where stored files live (``MEDIA_ROOT``); the locks and scratch folders live under it."""
    return Path(current_app.config["MEDIA_ROOT"])


def run(clip_id: int, make: Maker) -> ClipState | None:
    """Claim clip ``clip_id``, make its web version with ``make``, publish or fail it.

    Holds the clip's lock throughout (see the module docstring). Raises nothing.
    """
    root = media_root()
    with transcode.clip_lock(root, clip_id):
        work = _claim(clip_id, root)
        if not isinstance(work, Work):  # nothing to do, or failed at once
            return work
        try:
            out = make(work)
            return _publish(work, out)
        except transcode.MediaError as error:
            log.warning("clip %s failed: %s", clip_id, error)
            return _fail(clip_id, error.code)
        except OSError as error:
            log.exception("clip %s failed on the file system", clip_id)
            return _fail(
                clip_id, transcode.DISK_FULL if transcode.is_disk_full(error) else INTERNAL
            )
        except Exception:
            log.exception("clip %s failed", clip_id)
            return _fail(clip_id, INTERNAL)
        finally:
            shutil.rmtree(work.scratch, ignore_errors=True)


def _claim(clip_id: int, root: Path) -> Work | ClipState | None:
    clip = db.session.get(Clip, clip_id, populate_existing=True)
    if clip is None or clip.state is not ClipState.UPLOADED:
        db.session.rollback()
        return None
    source = _source_of(clip)
    old_poster = clip.poster_key
    clip.state, clip.attempts, clip.progress = ClipState.PROCESSING, clip.attempts + 1, 0
    clip.failure, clip.poster_key = None, None
    work = Work(clip.id, source or root, _scratch(root, clip.id), clip.start_s, clip.end_s)
    db.session.commit()
    if old_poster:  # a retry makes a fresh poster
        storage.delete(old_poster)
    if source is None:
        shutil.rmtree(work.scratch, ignore_errors=True)
        return _fail(clip_id, SOURCE_NOT_READY if clip.is_fragment else ORIGINAL_MISSING)
    return work


def _source_of(clip: Clip) -> Path | None:
    if clip.is_fragment:
        parent = clip.parent
        key = parent.web_key if parent is not None and parent.is_ready else None
    else:
        key = clip.original_key
    if not key:
        return None
    path = storage.path_of(key)
    return path if path.is_file() else None


def _scratch(root: Path, clip_id: int) -> Path:
    # What a killed worker left for this clip goes now: we hold the clip's lock.
    folder = _remove_scratch(root, clip_id)
    return Path(tempfile.mkdtemp(prefix=f"clip-{clip_id}-", dir=folder))


def _remove_scratch(root: Path, clip_id: int) -> Path:
    folder = root / ".work"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for stale in folder.glob(f"clip-{int(clip_id)}-*"):
        shutil.rmtree(stale, ignore_errors=True)
    return folder


def _publish(work: Work, out: Path) -> ClipState | None:
    facts = transcode.facts(out)
    with out.open("rb") as body:
        size = out.stat().st_size
        stored = storage.store_stream(
            body, folder="clips/web", suffix=".mp4", length=size, limit=size
        )
    storage.delete_on_rollback(db.session, stored.key)
    clip = db.session.get(Clip, work.clip_id, populate_existing=True)
    if clip is None or clip.state is not ClipState.PROCESSING:  # deleted meanwhile
        db.session.rollback()
        if clip is None:
            _drop_poster_of_gone_clip(work)
        return None
    clip.web_key, clip.web_size, clip.web_sha256 = stored.key, stored.size, stored.sha256
    clip.duration_s = round(facts.duration_s, 3)
    clip.width, clip.height = facts.width, facts.height
    clip.state, clip.progress, clip.ready_at = ClipState.READY, 100, utcnow()
    audit.record(
        db.session,
        "clip_ready",
        child=clip.child_id,
        obj=clip,
        data={"attempt": clip.attempts, "duration": clip.duration_s, "fragment": clip.is_fragment},
    )
    db.session.commit()
    _delete_original(clip)
    return ClipState.READY


def _drop_poster_of_gone_clip(work: Work) -> None:
    # The clip was deleted with its files while it was processed; the deletion read the row
    # perhaps before the poster was stored on it.
    log.info("clip %s was deleted while it was processed", work.clip_id)
    if work.poster_key:
        storage.delete(work.poster_key)


def _delete_original(clip: Clip) -> None:
    """Delete a ready recording's original and forget its key (data minimisation)."""
    if not clip.original_key:
        return
    storage.delete(clip.original_key)
    clip.original_key = None
    db.session.commit()


def _fail(clip_id: int, code: str) -> ClipState | None:
    db.session.rollback()
    clip = db.session.get(Clip, clip_id, populate_existing=True)
    if clip is None:
        return None
    poster = clip.poster_key
    clip.state, clip.failure, clip.progress, clip.poster_key = ClipState.FAILED, code, 0, None
    audit.record(
        db.session,
        "clip_failed",
        child=clip.child_id,
        obj=clip,
        data={"attempt": clip.attempts, "failure": code, "fragment": clip.is_fragment},
    )
    db.session.commit()
    if poster:  # half a result is never shown
        storage.delete(poster)
    return ClipState.FAILED


# --- for the page: what state to show, and the retry ------------------------------------------


def is_stuck(clip: Clip) -> bool:
    """True for a PROCESSING clip that no worker holds (its worker died, see the docstring),
    and for an UPLOADED clip that waited longer than :data:`QUEUE_PATIENCE` (its job was
    lost: a queue emptied, a worker that never ran). Queuing such a clip again is harmless:
    a clip is processed once, however often it is queued."""
    if clip.state is ClipState.UPLOADED:
        return clip.created_at is not None and utcnow() - clip.created_at > QUEUE_PATIENCE
    return clip.state is ClipState.PROCESSING and transcode.lock_is_free(media_root(), clip.id)


def shown_state(clip: Clip) -> ClipState:
    """The state to show: a stuck clip counts as failed."""
    return ClipState.FAILED if is_stuck(clip) else clip.state


def failure_code(clip: Clip) -> str | None:
    """The failure code to show (``interrupted`` or ``not_started`` for a stuck clip); None
    unless failed."""
    if is_stuck(clip):
        if clip.state is ClipState.UPLOADED:
            return NOT_STARTED
        return INTERRUPTED_RESUMES if clip.attempts < AUTO_RESUME_LIMIT else INTERRUPTED
    return (clip.failure or INTERNAL) if clip.state is ClipState.FAILED else None


def failure_message(code: str | None) -> Any:
    """The sentence for a failure code (lazy, in the current language), or None."""
    if code is None:
        return None
    return FAILURE_MESSAGES.get(code, FAILURE_MESSAGES[INTERNAL])


def retry(session: DbSession, clip: Clip, *, actor: User) -> Clip:
    """Put a failed (or stuck) clip back in the queue's state and return it; the caller
    commits, then calls :func:`enqueue`.

    Raises RefusedError when the clip is ready or still being converted by a live worker, and
    when what it is made from is gone (the original of a recording, the web version of a
    fragment's recording). Permission (Action.EDIT_CLIP) is the route's.
    """
    if clip.state is ClipState.READY:
        raise RefusedError(_l("This clip is ready to watch: there is nothing to try again."))
    if not (clip.state is ClipState.FAILED or is_stuck(clip)):
        raise RefusedError(
            _l("This clip is still being converted. Wait until it is ready or has failed.")
        )
    if _source_of(clip) is None:
        raise RefusedError(
            FAILURE_MESSAGES[SOURCE_NOT_READY if clip.is_fragment else ORIGINAL_MISSING]
        )
    was = failure_code(clip)
    clip.state, clip.progress, clip.failure = ClipState.UPLOADED, 0, None
    audit.record(
        session, "clip_retried", actor=actor, child=clip.child_id, obj=clip, data={"failure": was}
    )
    session.flush()
    return clip


def recover_interrupted() -> int:
    """Record stuck clips as FAILED (``interrupted``) and delete the originals a worker that
    died just after READY left behind. Returns how many clips changed. Commits per clip;
    raises nothing of its own (a database error propagates). Clips that may still resume by
    themselves are put back in the queue first (``recovery.resume_interrupted``).
    """
    changed = 0
    root = media_root()
    stuck = db.session.scalars(select(Clip.id).where(Clip.state == ClipState.PROCESSING)).all()
    db.session.rollback()
    for clip_id in stuck:
        with transcode.try_clip_lock(root, clip_id) as ours:
            # Holding the lock, nobody can claim the clip while it is marked.
            clip = db.session.get(Clip, clip_id, populate_existing=True) if ours else None
            if clip is not None and clip.state is ClipState.PROCESSING:
                _fail(clip_id, INTERRUPTED)
                _remove_scratch(root, clip_id)
                changed += 1
            db.session.rollback()
    leftover = db.session.scalars(
        select(Clip).where(Clip.state == ClipState.READY, Clip.original_key.is_not(None))
    ).all()
    for clip in leftover:
        _delete_original(clip)
        changed += 1
    db.session.rollback()
    return changed
