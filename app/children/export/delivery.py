"""Handing a child's export over, once, before its day is out; and removing what nobody took.

- :func:`take_download` opens the zip and marks the export downloaded (logged); the view
  commits, then :func:`drop_file` deletes the file (the open handle still reads it). A second
  download, or one after its day, is refused (:class:`ExportGoneError`, the page answers 410).
- :func:`remove_expired` (hourly) deletes the files nobody took within their day, and sweeps
  stray files (a worker killed while writing) from the export folder.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import BinaryIO

from huey import crontab
from sqlalchemy import select

from app.children.export import shapes
from app.children.export.models import ChildExport, ExportState
from app.children.export.service import DOWNLOAD_WINDOW, FOLDER
from app.circle.policy import Seat
from app.core import audit, storage
from app.core.db import DbSession, db, utcnow
from app.core.errors import RefusedError
from app.core.i18n import lazy_gettext as _l
from app.core.jobs import periodic_job

log = logging.getLogger("beeldbrug.export")

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
    name = f"{shapes.slug(seat.child.name)}-export-{export.id}.zip"
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
