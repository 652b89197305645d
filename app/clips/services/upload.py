"""Resumable uploads (tus 1.0) of a child's recordings: start, receive, complete, cancel, sweep.

An upload is an :class:`Upload` row (whose it is, for which child, what the clip will be
called) and a partial file in :mod:`app.core.resumable` (the bytes). The clip exists only when
every declared byte has arrived, the content check passed (:mod:`app.clips.probe`) and consent
still covers the recording: then :func:`complete` moves the file into ``clips/originals`` and
creates the :class:`Clip` in state UPLOADED. A refusal at that point keeps nothing.

Which source an upload is follows from the uploader's role: the school side records at school,
parents and the pupil at home (Actions UPLOAD_SCHOOL_RECORDING / UPLOAD_HOME_RECORDING).
Functions take the actor explicitly and never commit.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from huey import crontab
from sqlalchemy import delete, select

from app.circle import policy
from app.circle.audience import Audience, may_set_audience
from app.circle.models import Child, User
from app.circle.policy import Action, Seat
from app.clips import probe as probing
from app.clips.models import Clip, ClipState, Source, Upload
from app.clips.services import gate, retention
from app.clips.services.upload_details import (  # noqa: F401 - part of this module's interface
    DISK_FULL_MESSAGE,
    TITLE_MAX,
    DiskFullError,
    UploadDetails,
    UploadRefusedError,
    details_from,
    parse_metadata,
    sanitise_filename,
)
from app.consent import services as consent
from app.core import audit, resumable, storage
from app.core.db import DbSession, db, utcnow
from app.core.errors import NotFoundError
from app.core.files import Readable, is_disk_full
from app.core.i18n import lazy_gettext as _l
from app.core.jobs import periodic_job

log = logging.getLogger("beeldbrug.clips")

ORIGINALS = "clips/originals"
#: An upload that receives bytes has its expiry pushed on, in steps of this much.
EXPIRY_STEP = timedelta(minutes=10)
#: Containers phones and cameras write; anything else is stored as .bin (the probe decides).
SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".3gp", ".webm", ".mkv", ".avi", ".mts"})

#: How a refusal for want of consent names the purpose, in the reader's language.
PURPOSE_NAMES: dict[consent.Purpose, Any] = {
    consent.Purpose.SCHOOL_RECORDING: _l("filming at school"),
    consent.Purpose.HOME_RECORDING: _l("using recordings made at home"),
}


def may_upload(seat: Seat) -> bool:
    """Route check: may ``seat`` upload any recording of its child (school or home)?"""
    return seat.may(Action.UPLOAD_SCHOOL_RECORDING) or seat.may(Action.UPLOAD_HOME_RECORDING)


def source_for(seat: Seat) -> Source:
    """The source of what ``seat`` uploads: the school side films at school, others at home."""
    if seat.may(Action.UPLOAD_SCHOOL_RECORDING):
        return Source.SCHOOL
    return Source.HOME


def consent_refusal(child: Child, source: Source) -> UploadRefusedError | None:
    """The 403 refusal naming the missing purpose, or None when consent covers ``source``."""
    missing = gate.missing_purpose(child, source)
    if missing is None:
        return None
    return UploadRefusedError(
        _l(
            "Recordings cannot be uploaded: the consent for %(purpose)s has not been given "
            "(or was withdrawn). The coach can ask the parents for it.",
            purpose=PURPOSE_NAMES.get(missing, missing.value),
        ),
        status=403,
    )


def start(session: DbSession, seat: Seat, *, length: int, details: UploadDetails) -> Upload:
    """Begin an upload of ``length`` bytes by ``seat``'s person (tus POST); returns the row.

    Raises UploadRefusedError: 403 when consent does not cover the source (naming the purpose)
    or the chosen audience is not the actor's to choose, 413 over ``UPLOAD_MAX_BYTES``, 422
    for an empty file, 400 for a negative length; DiskFullError (507) when the disk is full.
    Other OSError from the disk.
    """
    child, actor = seat.child, seat.user
    source = source_for(seat)
    refusal = consent_refusal(child, source)
    if refusal is not None:
        raise refusal
    limit = storage.upload_limit()
    if length > limit:
        raise UploadRefusedError(too_large_message(limit), status=413)
    if length < 0:
        raise UploadRefusedError(_l("The upload did not say how large the file is."))
    if length == 0:
        log.warning("upload rejected: child=%s reason=empty", child.id)
        raise UploadRefusedError(probing.message_for(probing.EMPTY), status=422)
    audience = details.audience or _default_audience(source)
    if not may_set_audience(seat, uploader_id=actor.id, current=None, new=audience):
        raise UploadRefusedError(_l("You cannot choose this audience."), status=403)
    if audience is Audience.CIRCLE and details.shows_others:
        # Others recognisable: the circle sees it only once a coach cleared it.
        audience = Audience.TEAM
    try:
        partial = resumable.create_partial(length, limit=limit)
    except OSError as error:
        if not is_disk_full(error):
            raise
        log.error("upload refused: the disk is full (child=%s, %d bytes)", child.id, length)
        raise DiskFullError() from error
    row = Upload(
        upload_id=partial.upload_id,
        child_id=child.id,
        uploader_id=actor.id,
        source=source,
        length=length,
        filename=details.filename,
        title=details.title or _default_title(details),
        recorded_on=details.recorded_on,
        audience=audience,
        shows_others=details.shows_others,
        expires_at=_expiry(),
    )
    session.add(row)
    session.flush()
    return row


def too_large_message(limit: int) -> Any:
    """The refusal for a file over the limit, with the limit in whole megabytes."""
    return _l(
        "The video is larger than %(size)s MB, the most Beeldbrug accepts. Shorten it, or "
        "record at a lower quality, and try again.",
        size=limit // (1024 * 1024),
    )


def upload_or_404(session: DbSession, seat: Seat, upload_id: str) -> Upload:
    """The upload ``upload_id`` of ``seat``'s child that its person started, not expired.

    Raises NotFound for anything else: another child's or another person's upload looks like
    one that does not exist.
    """
    row = session.scalar(
        select(Upload).where(
            Upload.upload_id == upload_id,
            Upload.child_id == seat.child.id,
            Upload.uploader_id == seat.user.id,
        )
    )
    if row is None or (row.clip_id is None and row.expires_at <= utcnow()):
        policy.log_denied("upload_missing_or_not_own", seat.child.id)
        raise NotFoundError("upload_missing_or_not_own")
    return row


def status(row: Upload) -> resumable.PartialUpload:
    """Where the upload stands (tus HEAD); a completed one reports every byte.

    Raises resumable.UnknownUploadError when its partial file is gone.
    """
    if row.clip_id is not None:
        return resumable.PartialUpload(row.upload_id, row.length, row.length)
    return resumable.partial_status(row.upload_id)


def receive(
    row: Upload, stream: Readable, *, offset: int, content_length: int
) -> resumable.PartialUpload:
    """Append one chunk (tus PATCH) and push the expiry on; returns the new state.

    A chunk that ends before ``content_length`` (a dropped connection) keeps what arrived.
    Raises UploadRefusedError 413 when the chunk would go past the declared length,
    DiskFullError (507) when the disk is full (the partial file is removed then),
    resumable.OffsetMismatchError (409), resumable.UnknownUploadError.
    """
    if row.clip_id is not None:
        raise resumable.OffsetMismatchError(row.length, offset)
    if offset + content_length > row.length:
        raise UploadRefusedError(
            _l("More was sent than the upload announced. Start the upload again."), status=413
        )
    try:
        state = resumable.append_partial(row.upload_id, stream, offset=offset)
    except storage.LengthMismatchError as error:
        raise UploadRefusedError(
            _l("More was sent than the upload announced. Start the upload again."), status=413
        ) from error
    except OSError as error:
        if not is_disk_full(error):
            raise
        # What arrived so far would only take more room from a full disk: it goes at once.
        resumable.delete_partial(row.upload_id)
        log.error(
            "upload stopped: the disk is full; its partial file was removed (child=%s, at %d "
            "of %d bytes)",
            row.child_id,
            offset,
            row.length,
        )
        raise DiskFullError() from error
    expiry = _expiry()
    if expiry - row.expires_at > EXPIRY_STEP:  # not a database write for every part
        row.expires_at = expiry
    return state


def complete(session: DbSession, row: Upload, *, seat: Seat) -> Clip:
    """Turn ``seat``'s complete upload into a clip in state UPLOADED; the caller commits, then
    enqueues.

    Checks consent again and probes the file. On a refusal the partial file and the row are
    deleted, ``upload_rejected`` is audited and UploadRefusedError is raised (403 for
    consent, 422 for content): the caller commits that too. Raises
    resumable.IncompleteUploadError when bytes are missing, OSError from the disk.
    """
    child, actor = seat.child, seat.user
    refusal = consent_refusal(child, row.source)
    if refusal is not None:
        _reject(session, row, actor=actor, reason="consent")
        raise refusal
    part = resumable.partial_dir() / f"{row.upload_id}.part"
    try:
        info = probing.probe(part)
    except probing.NotAVideoError as error:
        _reject(session, row, actor=actor, reason=error.code)
        raise UploadRefusedError(probing.message_for(error.code), status=422) from error
    stored = resumable.finalise_partial(row.upload_id, folder=ORIGINALS, suffix=_suffix(row))
    storage.delete_on_rollback(session, stored.key)
    width, height = info.display_size
    clip = Clip(
        child_id=child.id,
        source=row.source,
        uploader_id=actor.id,
        title=row.title,
        recorded_on=row.recorded_on,
        audience=row.audience,
        shows_others=row.shows_others,
        state=ClipState.UPLOADED,
        original_key=stored.key,
        original_name=row.filename,
        original_size=stored.size,
        original_sha256=stored.sha256,
        duration_s=info.duration_s,
        width=width,
        height=height,
    )
    session.add(clip)
    session.flush()
    retention.schedule(session, clip)
    row.clip_id = clip.id
    audit.record(
        session,
        "clip_uploaded",
        actor=actor,
        child=child,
        obj=clip,
        data={"source": str(row.source), "size": stored.size, "codec": info.video_codec},
    )
    return clip


def cancel(session: DbSession, row: Upload) -> None:
    """Stop an upload (tus DELETE): its partial file and its row go. Raises nothing else."""
    if row.clip_id is None:
        resumable.delete_partial(row.upload_id)
    session.delete(row)
    session.flush()


def abandon(session: DbSession, row: Upload, *, actor: User, reason: str) -> None:
    """Give up an upload the server could not keep (a full disk): its partial file and row
    go, and ``upload_rejected`` is audited with ``reason``. The caller commits."""
    _reject(session, row, actor=actor, reason=reason)


def sweep_uploads(
    session: DbSession, *, now: datetime | None = None, idle: timedelta | None = None
) -> int:
    """Remove expired uploads: unfinished ones with their partial files, and finished rows.

    ``idle`` sweeps sooner: every upload without a byte for that long (an upload's expiry is
    pushed on as its bytes arrive). Returns how many rows went. Also sweeps partial and
    temporary files no row names any more (:func:`app.core.resumable.sweep`), idle as long.
    Never raises for a file that vanished.
    """
    now = now or utcnow()
    cutoff = now
    if idle is not None:
        cutoff = now - idle + timedelta(hours=current_app.config["UPLOAD_PARTIAL_MAX_AGE_HOURS"])
    expired = list(session.scalars(select(Upload).where(Upload.expires_at <= cutoff)))
    if idle is not None:  # the expiry moves in steps: the file says when bytes last came
        since = now.timestamp() - idle.total_seconds()
        expired = [row for row in expired if (resumable.idle_since(row.upload_id) or 0) <= since]
    for row in expired:
        if row.clip_id is None:
            resumable.delete_partial(row.upload_id)
    if expired:
        session.execute(delete(Upload).where(Upload.id.in_([row.id for row in expired])))
    resumable.sweep(idle)
    if expired:
        log.info("swept %d expired uploads", len(expired))
    return len(expired)


def _reject(session: DbSession, row: Upload, *, actor: User, reason: str) -> None:
    resumable.delete_partial(row.upload_id)
    audit.record(
        session,
        "upload_rejected",
        actor=actor,
        child=row.child_id,
        data={"reason": reason, "source": str(row.source), "size": row.length},
    )
    session.delete(row)
    session.flush()
    log.warning("upload rejected: child=%s reason=%s", row.child_id, reason)


def _default_audience(source: Source) -> Audience:
    # A parent's home recording stays with them and the coaches unless they open it up.
    return Audience.TEAM if source is Source.SCHOOL else Audience.PRIVATE


def _default_title(details: UploadDetails) -> str:
    stem = Path(details.filename).stem if details.filename else ""
    return (stem or str(_l("Recording")))[:TITLE_MAX]


def _suffix(row: Upload) -> str:
    suffix = Path(row.filename).suffix.lower()
    return suffix if suffix in SUFFIXES else ".bin"


def _expiry() -> datetime:
    hours = current_app.config.get("UPLOAD_PARTIAL_MAX_AGE_HOURS", 24)
    return utcnow() + timedelta(hours=hours)


@periodic_job(crontab(hour="3", minute="45"))
def daily_sweep_uploads() -> int:
    """Every day: remove abandoned uploads, rows and partial files (:func:`sweep_uploads`)."""
    swept = sweep_uploads(db.session)
    db.session.commit()
    return swept
