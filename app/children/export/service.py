"""A child's export: asking for one, and building it in the background.

- :func:`request_export` (a view, for the signed-in person's seat) adds the row, queued, and
  logs the request; the caller commits, then queues :func:`build_child_export`.
- :func:`build` (the job) works out the requester's seat afresh (someone removed from the
  circle meanwhile gets nothing), asks every source (``sources``) what that seat may see, and
  writes the zip (``archive``) atomically into storage, reporting its progress on the row.
- ``contents`` writes records.json, schema.json and README.txt from the sections;
  ``delivery`` hands the zip over once and removes what nobody took.

Audit events: ``child_export_requested``, ``child_export_ready``, ``child_export_downloaded``
(and ``child_export_failed``, ``child_export_expired``).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from flask_babel import force_locale
from sqlalchemy import select, update

from app.children.export import archive, contents, sources
from app.children.export.models import ChildExport, ExportState
from app.circle import policy
from app.circle.policy import Action, Seat
from app.core import audit, storage
from app.core.db import DbSession, db, utcnow
from app.core.errors import NotFoundError, RefusedError
from app.core.i18n import lazy_gettext as _l
from app.core.jobs import job

log = logging.getLogger("beeldbrug.export")

#: How long a ready export waits for its one download.
DOWNLOAD_WINDOW = timedelta(days=1)
#: How often (in percent) the job writes its progress to the row while writing the zip.
PROGRESS_STEP = 5
PROGRESS_SECONDS = 0.5
#: The storage folder of the zips.
FOLDER = "exports"


def request_export(session: DbSession, seat: Seat) -> ChildExport:
    """A new export of ``seat``'s child for ``seat``'s person, queued, in their language.

    An export of the same child by the same person still queued or being built is returned
    instead of a second one (a double click makes one zip). Logs ``child_export_requested``.
    Raises RefusedError for a seat whose role may not export (the route's rule,
    ``Action.EXPORT_CHILD``, already keeps such seats out).
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
            texts = contents.texts_of(seat, sections)
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


# --- downloading and expiry -------------------------------------------------------------------
