"""Operator commands: ``flask worker-status`` (and, further down, the other maintenance
commands an operator runs by hand)."""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import Engine

from app.clips.services import upload as uploads
from app.core import audit, backup, heartbeat
from app.core.db import db
from app.core.files import FILE_MODE, fsync_dir


@click.command("worker-status")
@with_appcontext
def worker_status() -> None:
    """Say whether the background worker is running (exit status 1 when it is not).

    The worker leaves a heartbeat every 30 seconds; without one for WORKER_STALE_MINUTES it
    counts as stopped: clips wait for conversion and mails wait to be sent until it runs.
    """
    found = heartbeat.status()
    if found.inline:
        click.echo("Jobs run inline (JOBS_URL=immediate://): there is no separate worker.")
        return
    ago = found.seconds_ago()
    if found.running:
        click.echo(f"The background worker is running (last heartbeat {ago} s ago).")
        return
    if ago is None:
        click.echo("The background worker is NOT running: it never left a heartbeat.")
    else:
        seen = found.last_seen.isoformat(timespec="seconds") if found.last_seen else "?"
        click.echo(
            f"The background worker is NOT running: its last heartbeat was {ago} s ago "
            f"({seen}). Start it: huey_consumer app.tasks.huey -w 1"
        )
    sys.exit(1)


@click.command("sweep-uploads")
@click.option(
    "--idle-minutes",
    type=click.IntRange(min=0),
    default=None,
    help="Also remove unfinished uploads without a byte for this many minutes "
    "(default: only those past UPLOAD_PARTIAL_MAX_AGE_HOURS).",
)
@with_appcontext
def sweep_uploads(idle_minutes: int | None) -> None:
    """Remove abandoned uploads and their partial files now (the worker does it daily).

    On a full disk, `--idle-minutes 10` frees the room of every upload that stopped ten
    minutes ago or more; an upload that goes on later starts again from the beginning.
    """
    idle = timedelta(minutes=idle_minutes) if idle_minutes is not None else None
    swept = uploads.sweep_uploads(db.session, idle=idle)
    db.session.commit()
    click.echo(f"Removed {swept} unfinished or expired upload(s) and their partial files.")


def _place() -> backup.Place:
    config = current_app.config
    return backup.Place(
        database_url=config["DATABASE_URL"],
        media_root=Path(config["MEDIA_ROOT"]),
        signing_dir=Path(config["SIGNING_DIR"]),
    )


def _engine() -> Engine:
    engine = db.engine
    if engine is None:
        raise backup.BackupError("the database is not configured")
    return engine


@click.command("backup")
@click.argument("dest")
@with_appcontext
def backup_command(dest: str) -> None:
    """Write one archive of the portal to DEST: the database first (SQLite's backup API, or
    pg_dump), then the media, then the signing keys, and a manifest with every file's SHA-256.

    DEST is a file, a folder (the archive is named after the time), or - for standard output,
    to pipe it through an encryption tool (see the README). Runs while the portal is in use.
    """
    place = _place()
    try:
        if dest == "-":
            summary = backup.write_backup(place, sys.stdout.buffer)
            sys.stdout.buffer.flush()
            target = "standard output"
        else:
            path = Path(dest)
            if path.is_dir():
                stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
                path = path / f"beeldbrug-backup-{stamp}.tar"
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".tar")
            try:
                os.fchmod(fd, FILE_MODE)
                with os.fdopen(fd, "wb") as out:
                    summary = backup.write_backup(place, out)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
            fsync_dir(path.parent)
            target = str(path)
    except backup.BackupError as error:
        click.echo(f"Backup failed: {error}", err=True)
        sys.exit(1)
    except OSError as error:  # a missing folder, a full disk: the partial archive is gone
        click.echo(
            f"Backup failed: {error.strerror or error} ({dest}); nothing was written", err=True
        )
        sys.exit(1)
    click.echo(
        f"Backed up the {summary.database} database and {summary.files - 1} files "
        f"({summary.bytes / 1e6:.1f} MB) to {target}.",
        err=True,
    )


@click.command("restore")
@click.argument("archive")
@with_appcontext
def restore_command(archive: str) -> None:
    """Restore an archive written by `flask backup` into this EMPTY instance (its database,
    MEDIA_ROOT and SIGNING_DIR); ARCHIVE is a file, or - for standard input.

    The whole archive is checked first; an instance that is not empty, a foreign, truncated
    or damaged archive, or one of the other kind of database is refused and nothing changes.
    Afterwards the audit chain is checked.
    """
    place = _place()
    try:
        if archive == "-":
            summary = backup.restore_backup(place, sys.stdin.buffer, _engine())
        else:
            if not Path(archive).is_file():
                raise backup.BackupError(f"there is no file {archive}")
            with Path(archive).open("rb") as source:
                summary = backup.restore_backup(place, source, _engine())
    except backup.BackupError as error:
        click.echo(f"Restore refused: {error}.", err=True)
        sys.exit(1)
    db.session.remove()
    click.echo(
        f"Restored the {summary.database} database and {summary.files - 1} files from the "
        f"backup of {summary.created_at}."
    )
    report = audit.verify(db.session)
    if not report.ok:
        click.echo(f"The audit chain does NOT verify: {report.problem}", err=True)
        sys.exit(2)
    click.echo(f"The audit chain verifies ({report.checked} events).")


#: Registered by app/cli.py.
COMMANDS = [worker_status, sweep_uploads, backup_command, restore_command]
