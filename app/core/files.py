"""Writing files safely: atomically, in chunks, counted and hashed on the way.

:func:`atomic_write` is the one way Beeldbrug writes a file that someone may read while it is
being written (stored media, issued PDFs, the schools' signing keys): the bytes go to a
temporary file in the destination folder, are fsynced, and only then renamed into place.
:func:`copy_counted` copies a body of any size with flat memory, stopping at the first byte
too many.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

FILE_MODE = 0o600
DIR_MODE = 0o700
#: How much of a stream is read at a time: large enough to be fast, small enough to stay flat.
CHUNK_SIZE = 1024 * 1024
#: Temporary files start with this; a sweep removes those a crash left behind.
TEMP_PREFIX = ".tmp-"


def is_disk_full(error: BaseException) -> bool:
    """Is ``error`` the disk (or the account's quota) being full? Raises nothing."""
    return isinstance(error, OSError) and error.errno in {errno.ENOSPC, errno.EDQUOT}


@runtime_checkable
class Readable(Protocol):
    """Anything read ``size`` bytes at a time: a file, a request body."""

    def read(self, size: int = -1, /) -> bytes: ...


@contextlib.contextmanager
def atomic_write(final: Path, *, mode: int = FILE_MODE) -> Iterator[BinaryIO]:
    """Write a file that appears under ``final`` only once it is complete and on disk.

    Yields a binary file object for a temporary file in ``final``'s folder (which must exist).
    When the block ends normally the file is flushed, fsynced, given ``mode`` and renamed over
    ``final``; when the block raises, the temporary file is removed and the error propagates.
    Raises OSError when the disk refuses (nothing is left behind then).
    """
    fd, tmp_name = tempfile.mkstemp(dir=final.parent, prefix=TEMP_PREFIX, suffix=final.suffix)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp_name, final)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    fsync_dir(final.parent)


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (best effort: some file systems refuse)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def chunks_of(stream: Readable | Iterable[bytes], size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """The bytes of a file-like object read ``size`` at a time, or of an iterable of chunks."""
    if not isinstance(stream, Readable):
        yield from (bytes(chunk) for chunk in stream if chunk)
        return
    while chunk := stream.read(size):
        yield chunk


def copy_counted(
    stream: Readable | Iterable[bytes],
    out: BinaryIO,
    *,
    most: int | None,
    digest: hashlib._Hash | None = None,
) -> int:
    """Copy ``stream`` to ``out`` in chunks; returns the bytes copied.

    Stops as soon as more than ``most`` bytes arrived (the first byte too many is written
    nowhere) and returns ``most + 1`` then, so the caller can tell "too long" without reading
    the rest of a body that may be endless. ``digest`` is updated with every byte written.
    """
    copied = 0
    for chunk in chunks_of(stream):
        if most is not None and copied + len(chunk) > most:
            keep = chunk[: most - copied]
            write_all(out, keep)
            if digest is not None:
                digest.update(keep)
            return most + 1
        write_all(out, chunk)
        if digest is not None:
            digest.update(chunk)
        copied += len(chunk)
    return copied


def write_all(out: BinaryIO, data: bytes) -> None:
    """Write every byte of ``data``; an unbuffered file may take fewer at a time."""
    view = memoryview(data)
    while view:
        written = out.write(view)
        view = view[written if written is not None else 0 :]
