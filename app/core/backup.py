"""One archive of everything a portal needs to be restored: database, media, signing keys.

:func:`write_backup` writes a tar (no compression: footage does not shrink) in this order:

1. ``database.sqlite`` through SQLite's online backup API (never a copy of the live file,
   SECURITY.md check 34), or ``database.pgdump`` from ``pg_dump --format=custom``: a
   consistent snapshot, taken first, so that every file a row names was already stored;
2. ``media/…``: every stored file under ``MEDIA_ROOT`` (partial uploads, conversions at work
   and temporary files are left out);
3. ``signing/…``: the schools' seal keys (``SIGNING_DIR``); without them no issued PDF can
   be checked against its key again;
4. ``MANIFEST.json`` last: the format, the kind of database and every member's size and
   SHA-256. An archive without it is incomplete.

:func:`restore_backup` brings an archive into an **empty** instance only (no rows in the
database, nothing in the media and signing folders). It reads and checks the whole archive in
a staging folder first — a foreign file, a truncated archive, a member whose hash does not
match, the other kind of database — and refuses with a :class:`BackupError` before anything
of the instance changes.

Encryption and keeping copies elsewhere are left to tools made for it: the archive can be
written to and read from a pipe (``-``), e.g. through ``gpg`` or ``age``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Engine, make_url

from app.core.files import CHUNK_SIZE, DIR_MODE, FILE_MODE, TEMP_PREFIX

FORMAT = "beeldbrug-backup"
VERSION = 1
MANIFEST = "MANIFEST.json"
SQLITE_MEMBER = "database.sqlite"
PG_MEMBER = "database.pgdump"
#: Tables a freshly migrated database already has a row in: the schema's revision and the
#: audit chain's head (at length 0). A row anywhere else means the instance is in use.
SEED_TABLES = frozenset({"alembic_version", "audit_chain"})


class BackupError(Exception):
    """A backup or restore that was refused or failed; the message says why, for an operator."""


@dataclass(frozen=True)
class Place:
    """Where an instance keeps its things."""

    database_url: str
    media_root: Path
    signing_dir: Path


@dataclass(frozen=True)
class Summary:
    """What an archive holds."""

    database: str  # "sqlite" or "postgresql"
    files: int
    bytes: int
    created_at: str


# --- writing ---------------------------------------------------------------------------------


def write_backup(place: Place, out: IO[bytes]) -> Summary:
    """Write the archive of ``place`` to ``out`` (a file or a pipe, written in one pass).

    Raises BackupError when the database cannot be dumped (pg_dump missing or failing),
    OSError from the disk.
    """
    kind = database_kind(place.database_url)
    entries: dict[str, dict[str, Any]] = {}
    created = datetime.now(UTC).isoformat(timespec="seconds")
    with (
        tempfile.TemporaryDirectory(prefix="beeldbrug-backup-") as scratch,
        tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as archive,
    ):
        dump = Path(scratch) / "database"
        if kind == "sqlite":
            _sqlite_snapshot(place.database_url, dump)
            _add(archive, entries, SQLITE_MEMBER, dump)
        else:
            _pg_dump(place.database_url, dump)
            _add(archive, entries, PG_MEMBER, dump)
        dump.unlink()
        for path, name in _files_of(place.media_root, skip_hidden=True):
            _add(archive, entries, f"media/{name}", path)
        for path, name in _files_of(place.signing_dir, skip_hidden=False):
            _add(archive, entries, f"signing/{name}", path)
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": created,
            "database": kind,
            "files": entries,
        }
        data = json.dumps(manifest, indent=1, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode, info.mtime = len(data), FILE_MODE, int(datetime.now().timestamp())
        archive.addfile(info, io.BytesIO(data))
    return Summary(kind, len(entries), sum(e["size"] for e in entries.values()), created)


def database_kind(url: str) -> str:
    """``sqlite`` or ``postgresql``; raises BackupError for another database."""
    backend = make_url(url).get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {backend}")
    return backend


def _files_of(root: Path, *, skip_hidden: bool) -> Iterator[tuple[Path, str]]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        hidden = any(part.startswith(".") for part in relative.parts)
        temporary = path.name.startswith(TEMP_PREFIX)
        if (
            path.is_file()
            and not path.is_symlink()
            and not (skip_hidden and hidden)
            and not temporary
        ):
            yield path, relative.as_posix()


def _add(
    archive: tarfile.TarFile, entries: dict[str, dict[str, Any]], name: str, path: Path
) -> None:
    digest = hashlib.sha256()
    with path.open("rb") as body:
        size = os.fstat(body.fileno()).st_size
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = size, FILE_MODE, int(path.stat().st_mtime)
        archive.addfile(info, _Hashing(body, digest))
    entries[name] = {"size": size, "sha256": digest.hexdigest()}


class _Hashing:
    """A file read by tarfile, hashed on the way."""

    def __init__(self, body: IO[bytes], digest: Any) -> None:
        self.body, self.digest = body, digest

    def read(self, size: int = -1) -> bytes:
        data = self.body.read(size)
        self.digest.update(data)
        return data


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _sqlite_snapshot(url: str, target: Path) -> None:
    """A consistent copy through SQLite's online backup API (readers and writers go on)."""
    source = sqlite3.connect(f"file:{_sqlite_path(url)}?mode=ro", uri=True)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()


def _pg_env(url: str) -> dict[str, str]:
    parsed = make_url(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    values = {
        "PGHOST": parsed.host,
        "PGPORT": str(parsed.port) if parsed.port else None,
        "PGUSER": parsed.username,
        "PGPASSWORD": parsed.password,
        "PGDATABASE": parsed.database,
    }
    env.update({k: v for k, v in values.items() if v})
    return env


def _run(args: list[str], url: str, what: str) -> None:
    tool = shutil.which(args[0])
    if tool is None:
        raise BackupError(f"{args[0]} is not installed (Debian: apt-get install postgresql-client)")
    done = subprocess.run(
        [tool, *args[1:]], env=_pg_env(url), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{what} failed: {last}")


def _pg_dump(url: str, target: Path) -> None:
    _run(
        ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"],
        url,
        "pg_dump",
    )


# --- restoring -------------------------------------------------------------------------------


def restore_backup(place: Place, source: IO[bytes], engine: Engine) -> Summary:
    """Restore the archive read from ``source`` into the empty instance ``place``.

    Everything is checked before anything changes. Raises BackupError (nothing changed) for
    an instance that is not empty, an archive that is not a Beeldbrug backup, is incomplete
    or damaged, or holds the other kind of database; BackupError too when the database
    cannot be restored (pg_restore failing), OSError from the disk.
    """
    kind = database_kind(place.database_url)
    _refuse_unless_empty(place, engine)
    place.media_root.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=place.media_root.parent))
    try:
        manifest = _unpack(source, staging)
        if manifest["database"] != kind:
            raise BackupError(
                f"this archive holds a {manifest['database']} database, but this instance "
                f"uses {kind}: restore it into an instance of the same kind"
            )
        if kind == "sqlite":
            _sqlite_restore(staging / SQLITE_MEMBER, place.database_url, engine)
        else:
            engine.dispose()
            _run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--no-privileges",
                    "--clean",
                    "--if-exists",
                    "--single-transaction",
                    "--exit-on-error",
                    f"--dbname={make_url(place.database_url).database}",
                    str(staging / PG_MEMBER),
                ],
                place.database_url,
                "pg_restore",
            )
        _move_tree(staging / "media", place.media_root)
        _move_tree(staging / "signing", place.signing_dir)
        files = manifest["files"]
        return Summary(
            kind, len(files), sum(e["size"] for e in files.values()), manifest["created_at"]
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _refuse_unless_empty(place: Place, engine: Engine) -> None:
    for folder, what in ((place.media_root, "media"), (place.signing_dir, "signing")):
        if folder.is_dir() and any(_files_of(folder, skip_hidden=False)):
            raise BackupError(
                f"the instance is not empty: its {what} folder {folder} holds files. Restore "
                "into a new, empty instance; nothing was changed"
            )
    tables = [t for t in inspect(engine).get_table_names() if t not in SEED_TABLES]
    with engine.connect() as connection:
        for table in tables:
            quoted = engine.dialect.identifier_preparer.quote(table)
            if connection.execute(select(text("1")).select_from(text(quoted)).limit(1)).first():
                raise BackupError(
                    f"the instance is not empty: its database has rows (in {table}). Restore "
                    "into a new, empty instance; nothing was changed"
                )


def _unpack(source: IO[bytes], staging: Path) -> dict[str, Any]:
    """Extract every member into ``staging``, hashing; return the checked manifest."""
    seen: dict[str, dict[str, Any]] = {}
    manifest: dict[str, Any] | None = None
    try:
        with tarfile.open(fileobj=source, mode="r|") as archive:
            for member in archive:
                if manifest is not None:
                    raise BackupError("this is not a Beeldbrug backup: data after its manifest")
                name = _safe_name(member)
                body = archive.extractfile(member)
                assert body is not None  # a regular file, checked by _safe_name
                if name == MANIFEST:
                    manifest = _read_manifest(body.read(1024 * 1024 * 64))
                    continue
                target = staging / name
                target.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
                seen[name] = _copy_hashed(body, target)
    except tarfile.ReadError as error:
        if not seen and manifest is None:
            raise BackupError("this is not a Beeldbrug backup (not an archive it wrote)") from error
        raise BackupError("the archive is incomplete or damaged: it ends early") from error
    except EOFError as error:
        raise BackupError("the archive is incomplete: it ends early") from error
    if manifest is None:
        if not seen:
            raise BackupError("this is not a Beeldbrug backup (empty, or not an archive it wrote)")
        raise BackupError("the archive is incomplete: it ends before its manifest")
    expected = manifest["files"]
    if set(expected) != set(seen):
        raise BackupError(
            "the archive is incomplete or damaged: its files differ from its manifest"
        )
    for name, entry in expected.items():
        if seen[name] != {"size": entry["size"], "sha256": entry["sha256"]}:
            raise BackupError(f"the archive is damaged: {name} does not match its manifest")
    return manifest


def _safe_name(member: tarfile.TarInfo) -> str:
    path = PurePosixPath(member.name)
    if (
        not member.isfile()
        or path.is_absolute()
        or ".." in path.parts
        or not path.parts
        or (
            path.parts[0] not in {"media", "signing"}
            and member.name not in {MANIFEST, SQLITE_MEMBER, PG_MEMBER}
        )
    ):
        raise BackupError(f"this is not a Beeldbrug backup: unexpected member {member.name!r}")
    return path.as_posix()


def _read_manifest(data: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(data)
    except ValueError as error:
        raise BackupError("this is not a Beeldbrug backup: its manifest is unreadable") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("this is not a Beeldbrug backup: its manifest is someone else's")
    if manifest.get("version") != VERSION:
        raise BackupError(
            f"this backup has format version {manifest.get('version')}, not {VERSION}"
        )
    if manifest.get("database") not in {"sqlite", "postgresql"} or not isinstance(
        manifest.get("files"), dict
    ):
        raise BackupError("this is not a Beeldbrug backup: its manifest is incomplete")
    return manifest


def _copy_hashed(body: IO[bytes], target: Path) -> dict[str, Any]:
    digest, size = hashlib.sha256(), 0
    fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    with os.fdopen(fd, "wb") as out:
        while chunk := body.read(CHUNK_SIZE):
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)
    return {"size": size, "sha256": digest.hexdigest()}


def _sqlite_restore(staged: Path, url: str, engine: Engine) -> None:
    checked = sqlite3.connect(staged)
    try:
        verdict = checked.execute("PRAGMA integrity_check").fetchone()
        if not verdict or verdict[0] != "ok":
            raise BackupError("the database in the archive fails SQLite's integrity check")
        engine.dispose()  # no pooled connection keeps the old pages
        target = sqlite3.connect(_sqlite_path(url))
        try:
            checked.backup(target)
        finally:
            target.close()
    finally:
        checked.close()


def _move_tree(staged: Path, target: Path) -> None:
    if not staged.is_dir():
        return
    target.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    for item in sorted(staged.iterdir()):
        with contextlib.suppress(FileNotFoundError):
            shutil.move(str(item), str(target / item.name))
    for folder in [target, *[p for p in target.rglob("*") if p.is_dir()]]:
        folder.chmod(DIR_MODE)
