"""Writing the export's zip: file by file from storage, in chunks, with flat memory.

The zip is written to a temporary file beside its final place and renamed into place only
when complete (``app.core.files.atomic_write``): nothing half-written is ever visible under
its key, and a failure leaves nothing behind. Stored files (videos, sealed PDFs) go in as
they are (``ZIP_STORED``: video does not compress, and a sealed PDF must stay byte-exact for
its signature); the JSON and text files are deflated. No whole file is held in memory.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from app.core.files import atomic_write

#: The version of the layout of records.json (its schema says so too).
FORMAT_VERSION = 1
#: How much of a stored file is copied at a time. Smaller than the 1 MiB of uploads: the
#: checksum and the write of a 64 KiB chunk stay in the processor's cache, and a 1 MiB one
#: made the copy twice as slow as zipfile's own (bench/export.py).
COPY_CHUNK = 64 * 1024


@dataclass(frozen=True)
class FileToCopy:
    """A file on disk to copy into the zip under ``name``."""

    name: str
    path: Path


@dataclass(frozen=True)
class Written:
    """What was written: the size of the zip and how many entries it holds."""

    size: int
    entries: int


def copy_into(archive: zipfile.ZipFile, name: str, source: BinaryIO) -> None:
    """Copy ``source`` into ``archive`` as ``name``, stored, a chunk at a time."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o600 << 16
    # force_zip64: a clip may pass 2 GiB, and the size is not known to the header up front.
    with archive.open(info, "w", force_zip64=True) as entry:
        while chunk := source.read(COPY_CHUNK):
            entry.write(chunk)


def add_text(archive: zipfile.ZipFile, name: str, text: str) -> None:
    """Add a small UTF-8 text as ``name``, deflated."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    archive.writestr(info, text.encode("utf-8"))


def as_json(value: object) -> str:
    """``value`` as readable JSON (UTF-8, indented, keys in a stable order)."""
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def write_zip(
    final: Path,
    *,
    texts: dict[str, str],
    files: Iterable[FileToCopy],
    total: int,
    on_progress: Callable[[int], None] | None = None,
) -> Written:
    """Write the zip at ``final`` atomically: ``texts`` first (deflated), then ``files``
    copied from disk in chunks (stored). ``on_progress(percent)`` is called after each entry,
    ``total`` being the number of entries expected. Raises OSError (disk full, a file gone);
    nothing is left at ``final`` or beside it then."""
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if on_progress is not None:
            on_progress(min(99, done * 100 // max(total, 1)))

    with atomic_write(final) as out:
        with zipfile.ZipFile(out, "w", allowZip64=True) as archive:
            for name, text in texts.items():
                add_text(archive, name, text)
                step()
            for item in files:
                with item.path.open("rb") as source:
                    copy_into(archive, item.name, source)
                step()
        size = out.tell()
    return Written(size=size, entries=done)
