"""Partial files for resumable uploads (tus): append at an offset, finalise when complete.

An upload declares its total length when it is created and then arrives in any number of
chunks, each appended at the offset the client believes the file has reached; a wrong offset
is refused (tus answers 409 then). A chunk cut short by a dropped connection keeps the bytes
that did arrive, so the client can ask for the offset and resume from there. Only a complete
file is finalised: renamed, in one atomic step, to a fresh key in storage.

Partial files live in ``MEDIA_ROOT/.partial`` (0700; files 0600), a folder no storage key can
name, as ``<id>.part`` with the declared length beside it in ``<id>.len``. Appends and the
finalisation hold an exclusive lock on the partial file, so two requests for the same upload
cannot interleave. :func:`sweep` removes partial files untouched for longer than
``UPLOAD_PARTIAL_MAX_AGE_HOURS``, and temporary files that a crash left in MEDIA_ROOT.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import re
import secrets
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from flask import current_app

from app.core import storage
from app.core.files import (
    CHUNK_SIZE,
    FILE_MODE,
    TEMP_PREFIX,
    Readable,
    atomic_write,
    copy_counted,
    fsync_dir,
)

log = logging.getLogger("beeldbrug.storage")

PARTIAL_FOLDER = ".partial"
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{32}$")


class UnknownUploadError(LookupError):
    """No partial upload has this id (never created, finalised, deleted or swept)."""


class OffsetMismatchError(storage.StorageRefusedError):
    """A chunk was sent for another offset than the one the partial file has reached."""

    def __init__(self, expected: int, given: int) -> None:
        super().__init__(f"the upload is at offset {expected}, not {given}")
        self.expected = expected
        self.given = given


class IncompleteUploadError(storage.StorageRefusedError):
    """The upload cannot be finalised: fewer bytes arrived than it declared."""

    def __init__(self, length: int, offset: int) -> None:
        super().__init__(f"the upload has {offset} of its {length} bytes")
        self.length = length
        self.offset = offset


@dataclass(frozen=True)
class PartialUpload:
    """Where an upload stands: its id, its declared length and the bytes received so far."""

    upload_id: str
    length: int
    offset: int

    @property
    def complete(self) -> bool:
        """True when every declared byte has arrived."""
        return self.offset == self.length


def partial_dir() -> Path:
    """The folder of partial files inside MEDIA_ROOT (created with mode 0700)."""
    store = storage.storage()
    folder = store.root / PARTIAL_FOLDER
    store.make_dirs(folder)
    return folder


def _paths(upload_id: str) -> tuple[Path, Path]:
    if not isinstance(upload_id, str) or not _ID_RE.match(upload_id):
        raise UnknownUploadError(upload_id)
    folder = partial_dir()
    return folder / f"{upload_id}.part", folder / f"{upload_id}.len"


def _declared_length(length_path: Path, upload_id: str) -> int:
    try:
        return int(length_path.read_text(encoding="ascii"))
    except (OSError, ValueError) as error:
        raise UnknownUploadError(upload_id) from error


@contextlib.contextmanager
def _locked(upload_id: str) -> Iterator[tuple[BinaryIO, int]]:
    """The partial file open for reading and writing under an exclusive lock, and its length."""
    part, length_path = _paths(upload_id)
    try:
        # Unbuffered: after a failed write nothing is left in a buffer to land past the end.
        handle = part.open("r+b", buffering=0)
    except FileNotFoundError as error:
        raise UnknownUploadError(upload_id) from error
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        # While this request waited for the lock, another may have finalised, deleted or
        # swept the upload: then the open file is no longer the partial file.
        try:
            current = os.path.samestat(os.fstat(handle.fileno()), part.stat())
        except FileNotFoundError:
            current = False
        if not current:
            raise UnknownUploadError(upload_id)
        yield handle, _declared_length(length_path, upload_id)


def create_partial(length: int, *, limit: int | None = None) -> PartialUpload:
    """Start an upload of ``length`` bytes; returns it at offset 0.

    ``limit`` defaults to ``UPLOAD_MAX_BYTES``. Raises storage.TooLargeError when ``length``
    is over it, ValueError for a negative length, OSError from the disk.
    """
    limit = storage.upload_limit() if limit is None else limit
    if length < 0:
        raise ValueError("a declared length cannot be negative")
    if length > limit:
        raise storage.TooLargeError(limit)
    upload_id = secrets.token_urlsafe(24)
    part, length_path = _paths(upload_id)
    with atomic_write(length_path) as out:
        out.write(str(length).encode("ascii"))
    fd = os.open(part, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    os.close(fd)
    return PartialUpload(upload_id, length, 0)


def partial_status(upload_id: str) -> PartialUpload:
    """Where ``upload_id`` stands (tus HEAD). Raises UnknownUploadError."""
    part, length_path = _paths(upload_id)
    length = _declared_length(length_path, upload_id)
    try:
        offset = part.stat().st_size
    except FileNotFoundError as error:
        raise UnknownUploadError(upload_id) from error
    return PartialUpload(upload_id, length, offset)


def append_partial(
    upload_id: str, stream: Readable | Iterable[bytes], *, offset: int
) -> PartialUpload:
    """Append the bytes of ``stream`` at ``offset`` (tus PATCH); returns the new state.

    A stream that ends early keeps what arrived. Raises UnknownUploadError, OffsetMismatchError
    when the file is not at ``offset``, storage.LengthMismatchError when the chunk would go past
    the declared length, OSError from the disk; after any of these the file is as it was.
    """
    with _locked(upload_id) as (handle, length):
        current = os.fstat(handle.fileno()).st_size
        if offset != current:
            raise OffsetMismatchError(current, offset)
        handle.seek(offset)
        try:
            received = copy_counted(stream, handle, most=length - offset)
            if offset + received > length:
                raise storage.LengthMismatchError(length, offset + received)
            os.fsync(handle.fileno())
        except BaseException:
            handle.truncate(offset)
            raise
        return PartialUpload(upload_id, length, offset + received)


def finalise_partial(upload_id: str, *, folder: str, suffix: str) -> storage.StoredFile:
    """Move a complete upload into storage under a new key, in one atomic rename.

    The SHA-256 is computed by reading the file once more in chunks. Raises UnknownUploadError,
    IncompleteUploadError (the partial file stays for the client to resume), ValueError for a
    bad folder or suffix, OSError from the disk.
    """
    with _locked(upload_id) as (handle, length):
        size = os.fstat(handle.fileno()).st_size
        if size != length:
            raise IncompleteUploadError(length, size)
        digest = hashlib.sha256()
        handle.seek(0)
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
        store = storage.storage()
        key = store.new_key(folder, suffix)
        part, length_path = _paths(upload_id)
        os.replace(part, store.root / key)
        length_path.unlink(missing_ok=True)
    fsync_dir((store.root / key).parent)
    fsync_dir(part.parent)
    return storage.StoredFile(key=key, size=length, sha256=digest.hexdigest())


def idle_since(upload_id: str) -> float | None:
    """When the upload's partial file last took bytes (a POSIX time), or None when it has
    none (finished, swept, or never a valid id). Raises nothing else."""
    try:
        part, _ = _paths(upload_id)
        return part.stat().st_mtime
    except (UnknownUploadError, FileNotFoundError):
        return None


def delete_partial(upload_id: str) -> bool:
    """Remove an upload's partial file (tus DELETE); True if it existed. Raises nothing else."""
    try:
        part, length_path = _paths(upload_id)
    except UnknownUploadError:
        return False
    existed = part.exists()
    part.unlink(missing_ok=True)
    length_path.unlink(missing_ok=True)
    return existed


def sweep(max_age: timedelta | None = None) -> int:
    """Remove partial uploads idle for longer than ``max_age``, and stale temporary files.

    ``max_age`` defaults to ``UPLOAD_PARTIAL_MAX_AGE_HOURS``. A partial file counts as idle
    from its last append; one that is locked right now is left alone. Temporary files of
    :func:`app.core.files.atomic_write` anywhere in MEDIA_ROOT that are as old are what a
    crash left behind, and go too. Returns how many uploads and files were removed. Never
    raises for a file that vanished meanwhile.
    """
    if max_age is None:
        max_age = timedelta(hours=current_app.config.get("UPLOAD_PARTIAL_MAX_AGE_HOURS", 24))
    cutoff = time.time() - max_age.total_seconds()
    removed = 0
    folder = partial_dir()
    for part in folder.glob("*.part"):
        if _older(part, cutoff) and _remove_unlocked(part):
            part.with_suffix(".len").unlink(missing_ok=True)
            removed += 1
    for orphan in folder.glob("*.len"):  # a crash between writing .len and creating .part
        if not orphan.with_suffix(".part").exists() and _older(orphan, cutoff):
            orphan.unlink(missing_ok=True)
            removed += 1
    for leftover in storage.storage().root.rglob(f"{TEMP_PREFIX}*"):
        if leftover.is_file() and _older(leftover, cutoff):
            leftover.unlink(missing_ok=True)
            removed += 1
    if removed:
        log.info("swept %d stale upload files", removed)
    return removed


def _older(path: Path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime < cutoff
    except FileNotFoundError:
        return False


def _remove_unlocked(part: Path) -> bool:
    try:
        handle = part.open("rb")
    except FileNotFoundError:
        return False
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # an append is running right now
            return False
        part.unlink(missing_ok=True)
        return True
