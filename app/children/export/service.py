"""A child's export: asking for one, building it in the background, the one download, expiry.

- :func:`request_export` (a view, for the signed-in person's seat) adds the row, queued, and
  logs the request; the caller commits, then queues :func:`build_child_export`.
- :func:`build` (the job) works out the requester's seat afresh (someone removed from the
  circle meanwhile gets nothing), asks every source (``sources``) what that seat may see, and
  writes the zip (``archive``) atomically into storage, reporting its progress on the row.
- :func:`take_download` hands the file over once, before ``expires_at``; the file is deleted
  as it is handed over. A second download, or one after its day, is refused
  (:class:`ExportGoneError`, the page answers 410).
- :func:`remove_expired` (daily) deletes the files nobody took within their day.

Audit events: ``child_export_requested``, ``child_export_ready``, ``child_export_downloaded``
(and ``child_export_failed``, ``child_export_expired``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, BinaryIO

from flask_babel import force_locale
from huey import crontab
from sqlalchemy import select, update

from app.children.export import archive, sources
from app.children.export.models import ChildExport, ExportState
from app.circle import policy
from app.circle.policy import Action, Seat
from app.core import audit, storage
from app.core.db import DbSession, db, utcnow
from app.core.errors import NotFoundError, RefusedError
from app.core.i18n import gettext as _
from app.core.i18n import lazy_gettext as _l
from app.core.jobs import job, periodic_job

log = logging.getLogger("beeldbrug.export")

#: How long a ready export waits for its one download.
DOWNLOAD_WINDOW = timedelta(days=1)
#: How often (in percent) the job writes its progress to the row while writing the zip.
PROGRESS_STEP = 5
PROGRESS_SECONDS = 0.5
#: The storage folder of the zips.
FOLDER = "exports"

ALREADY_TAKEN = _l(
    "This export has already been downloaded. It can be downloaded only once; ask for a new "
    "one if you need it again."
)
EXPIRED = _l("This export was not downloaded within a day and has been deleted. Ask for a new one.")
NOT_READY = _l("This export is not ready yet. This page shows how far it is.")
FAILED = _l(
    "This export could not be made. Ask for a new one; the school can help if it fails again."
)


class ExportGoneError(RefusedError):
    """The export's file is gone for good: downloaded already, or its day has passed."""


def request_export(session: DbSession, seat: Seat) -> ChildExport:
    """A new export of ``seat``'s child for ``seat``'s person, queued, in their language.

    An export of the same child by the same person still queued or being built is returned
    instead of a second one (a double click makes one zip). Logs ``child_export_requested``.
    Raises ForbiddenError-free: the route's rule (``Action.EXPORT_CHILD``) already let the
    seat in; a seat whose role may not export raises RefusedError.
    """
    if not seat.may(Action.EXPORT_CHILD):
        raise RefusedError(_l("You may not export this child's data."))
    working = session.scalar(
        select(ChildExport).where(
            ChildExport.child_id == seat.child.id,
            ChildExport.requester_id == seat.user.id,
            ChildExport.state.in_((ExportState.QUEUED, ExportState.BUILDING)),
        )
    )
    if working is not None:
        return working
    export = ChildExport(
        child_id=seat.child.id,
        requester_id=seat.user.id,
        state=ExportState.QUEUED,
        progress=0,
        language=seat.user.preferred_language or "nl",
        expires_at=utcnow() + DOWNLOAD_WINDOW,
    )
    session.add(export)
    session.flush()
    audit.record(
        session,
        "child_export_requested",
        actor=seat.user,
        child=seat.child,
        obj=export,
        data={"role": seat.role.value},
    )
    return export


def exports_of(session: DbSession, seat: Seat, limit: int = 10) -> list[ChildExport]:
    """``seat``'s own exports of its child, the newest first, at most ``limit``. One query."""
    return list(
        session.scalars(
            select(ChildExport)
            .where(ChildExport.child_id == seat.child.id, ChildExport.requester_id == seat.user.id)
            .order_by(ChildExport.created_at.desc(), ChildExport.id.desc())
            .limit(limit)
        )
    )


def export_or_404(session: DbSession, seat: Seat, export_id: int) -> ChildExport:
    """``seat``'s own export of its child by id. Raises NotFoundError for a missing id,
    another child's export and someone else's alike (an export is its requester's alone)."""
    found = session.scalar(
        select(ChildExport).where(
            ChildExport.id == export_id,
            ChildExport.child_id == seat.child.id,
            ChildExport.requester_id == seat.user.id,
        )
    )
    if found is None:
        policy.log_denied("export_missing_or_not_own", seat.child.id)
        raise NotFoundError("export_missing_or_not_own")
    return found


# --- building ---------------------------------------------------------------------------------


def build(export_id: int) -> ExportState | None:
    """Build export ``export_id``: the zip of what its requester's seat sees now, written
    atomically into storage; READY with a day to download it, or FAILED with a code.
    Returns the state it ended in, or None when there was nothing to do (no such export, or
    not queued). Raises nothing of its own: a failure is recorded on the row."""
    session = db.session
    # Claimed in one statement: of two workers given the same export, one builds it.
    claimed = session.execute(
        update(ChildExport)
        .where(ChildExport.id == export_id, ChildExport.state == ExportState.QUEUED)
        .values(state=ExportState.BUILDING)
    )
    session.commit()
    export = session.get(ChildExport, export_id)
    if export is None or not claimed.rowcount:  # type: ignore[attr-defined]
        return None
    seat = policy.seat_for(export.requester, export.child)
    if seat is None or not seat.may(Action.EXPORT_CHILD):
        return _fail(session, export, "no_longer_in_circle")
    key = storage.storage().new_key(FOLDER, ".zip")
    try:
        with force_locale(export.language):
            sections = sources.sections_for(session, seat)
            texts = {
                "README.txt": readme(seat, sections),
                "schema.json": archive.as_json(schema_of(sections)),
                "records.json": archive.as_json(records_of(seat, sections)),
            }
        texts.update({name: text for s in sections for name, text in s.texts.items()})
        files = [
            archive.FileToCopy(entry.name, storage.path_of(entry.key))
            for section in sections
            for entry in section.files
        ]
        written = archive.write_zip(
            storage.path_of(key),
            texts=texts,
            files=files,
            total=len(texts) + len(files),
            on_progress=_progress_writer(session, export),
        )
    except Exception:
        log.exception("export %s failed", export_id)
        session.rollback()
        storage.delete(key)
        export = session.get(ChildExport, export_id)
        return _fail(session, export, "build_failed") if export is not None else None
    storage.delete_on_rollback(session, key)
    now = utcnow()
    export.state = ExportState.READY
    export.progress = 100
    export.storage_key = key
    export.size = written.size
    export.ready_at = now
    export.expires_at = now + DOWNLOAD_WINDOW
    audit.record(
        session,
        "child_export_ready",
        actor=export.requester_id,
        child=export.child_id,
        obj=export,
        data={"entries": written.entries, "size": written.size},
    )
    session.commit()
    return ExportState.READY


def _progress_writer(session: DbSession, export: ChildExport) -> Any:
    """Write the progress to the row at steps of :data:`PROGRESS_STEP` percent, at most once
    per :data:`PROGRESS_SECONDS` (each is a commit; the page reads it every few seconds)."""
    last = time.monotonic()

    def report(percent: int) -> None:
        nonlocal last
        now = time.monotonic()
        if percent - export.progress >= PROGRESS_STEP and now - last >= PROGRESS_SECONDS:
            export.progress = percent
            session.commit()
            last = now

    return report


def _fail(session: DbSession, export: ChildExport, code: str) -> ExportState:
    export.state = ExportState.FAILED
    export.failure = code
    audit.record(
        session,
        "child_export_failed",
        actor=export.requester_id,
        child=export.child_id,
        obj=export,
        data={"failure": code},
    )
    session.commit()
    return ExportState.FAILED


@job()
def build_child_export(export_id: int) -> None:
    """Background: build a child's export (:func:`build`)."""
    build(export_id)


def records_of(seat: Seat, sections: list[sources.Section]) -> dict[str, Any]:
    """The content of records.json: a header, then each section under its key."""
    return {
        "format": "beeldbrug-child-export",
        "version": archive.FORMAT_VERSION,
        "exported_at": sources.when(utcnow()),
        "requested_by": {"name": seat.user.name, "role": seat.role.value},
        **{section.key: section.data for section in sections},
    }


def schema_of(sections: list[sources.Section]) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of records.json."""
    properties: dict[str, Any] = {
        "format": {"const": "beeldbrug-child-export"},
        "version": {"const": archive.FORMAT_VERSION},
        "exported_at": sources.INSTANT,
        "requested_by": sources.obj(
            "Who asked for this export, and their role in the child's circle.",
            name=sources.STR,
            role=sources.STR,
        ),
        **{section.key: section.schema for section in sections},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Beeldbrug: export of one child's data (records.json)",
        "description": "Everything about one child that the requester may see, at the moment "
        "of the export. Times are ISO 8601 in UTC; paths point at files in this zip.",
        "type": "object",
        "properties": properties,
        "required": sorted(properties),
    }


def readme(seat: Seat, sections: list[sources.Section]) -> str:
    """README.txt in the requester's language (the caller forces the locale)."""
    counts = {s.key: len(s.data) if isinstance(s.data, list) else 1 for s in sections}
    lines = [
        _("Export of the data of %(name)s", name=seat.child.name),
        "",
        _(
            "This archive holds everything about %(name)s that %(requester)s could see in "
            "Beeldbrug on %(date)s.",
            name=seat.child.name,
            requester=seat.user.name,
            date=utcnow().date().isoformat(),
        ),
        "",
        _("What is in it:"),
        "- records.json: " + _("the records, readable by people and programs."),
        "- schema.json: " + _("a description of records.json (JSON Schema)."),
        "- consent/: "
        + _("the signed consent records as sealed PDFs (%(n)s).", n=counts.get("consent", 0)),
        "- meetings/: " + _("the meeting summaries as sealed PDFs."),
        "- clips/: "
        + _(
            "the video clips you may watch (%(n)s, MP4), with the marked moments as subtitles "
            "(WebVTT, .vtt).",
            n=counts.get("clips", 0),
        ),
        "",
        _(
            "The PDFs carry the school's digital seal; any change to them breaks the seal. "
            "Keep this archive safe: it holds personal data of a child."
        ),
    ]
    return "\n".join(lines) + "\n"


# --- downloading and expiry -------------------------------------------------------------------


@dataclass(frozen=True)
class Download:
    """An export handed over: the open file, its storage key, the name to save it as, size."""

    file: BinaryIO
    key: str
    name: str
    size: int


def take_download(session: DbSession, seat: Seat, export: ChildExport) -> Download:
    """Hand ``export``'s zip over, once: opens the file, marks the export downloaded and logs
    it. The caller commits, then calls :func:`drop_file` (the open handle still reads the
    file): should the commit fail, the export stays ready and its file stays.

    Raises ExportGoneError when it was downloaded already or its day has passed, RefusedError
    while it is not ready (or failed).
    """
    if export.state is ExportState.DOWNLOADED:
        raise ExportGoneError(ALREADY_TAKEN)
    if export.state is ExportState.EXPIRED or (
        export.state is ExportState.READY and export.expires_at <= utcnow()
    ):
        raise ExportGoneError(EXPIRED)
    if export.state is ExportState.FAILED:
        raise RefusedError(FAILED)
    if export.state is not ExportState.READY or not export.storage_key:
        raise RefusedError(NOT_READY)
    key = export.storage_key
    handle = storage.open_file(key)
    size = export.size or 0
    export.state = ExportState.DOWNLOADED
    export.downloaded_at = utcnow()
    export.storage_key = None
    audit.record(
        session,
        "child_export_downloaded",
        actor=seat.user,
        child=seat.child,
        obj=export,
        data={"size": size},
    )
    session.flush()
    name = f"{sources.slug(seat.child.name)}-export-{export.id}.zip"
    return Download(handle, key, name, size)


def drop_file(download: Download) -> None:
    """Delete a handed-over export's file from storage, once its download is committed. A
    file that cannot be deleted now is swept by :func:`remove_expired` later."""
    try:
        storage.delete(download.key)
    except OSError:
        log.exception("could not delete a downloaded export's file; the sweep will")


def remove_expired(session: DbSession) -> int:
    """Delete the files of ready exports whose day has passed, and mark them expired (logged);
    then sweep the export folder of files no ready export names that are older than a day
    (a worker killed while writing, a delete that failed). Returns how many exports expired;
    a second run finds none. The caller commits."""
    expired = list(
        session.scalars(
            select(ChildExport).where(
                ChildExport.state == ExportState.READY, ChildExport.expires_at <= utcnow()
            )
        )
    )
    for export in expired:
        if export.storage_key:
            storage.delete(export.storage_key)
        export.storage_key = None
        export.state = ExportState.EXPIRED
        audit.record(session, "child_export_expired", child=export.child_id, obj=export)
    session.flush()
    _sweep_strays(session)
    return len(expired)


def _sweep_strays(session: DbSession) -> None:
    folder = storage.storage().root / FOLDER
    if not folder.is_dir():
        return
    kept = set(
        session.scalars(select(ChildExport.storage_key).where(ChildExport.storage_key.is_not(None)))
    )
    before = time.time() - DOWNLOAD_WINDOW.total_seconds()
    for path in folder.iterdir():
        if f"{FOLDER}/{path.name}" in kept or not path.is_file():
            continue
        if path.stat().st_mtime < before:
            path.unlink(missing_ok=True)
            log.info("swept a stray export file: %s", path.name)


@periodic_job(crontab(minute="40"))
def hourly_remove_expired_exports() -> int:
    """Hourly: delete the exports nobody downloaded within their day (:func:`remove_expired`)."""
    count = remove_expired(db.session)
    db.session.commit()
    return count
