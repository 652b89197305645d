"""Where Beeldbrug keeps files: a local folder now (``MEDIA_ROOT``), object storage later.

Files are stored under server-chosen random names, never the uploader's, and never below
``static/``: bytes leave only through a view that ran its access check first (then
:func:`send_stored`). A key looks like ``documents/2f1c…e9.pdf``; keys from anywhere else (a
database row that was tampered with, a path from a URL) are validated before they touch the
file system.

Writes are atomic (:func:`app.core.files.atomic_write`, also used for signing keys): the bytes go
to a temporary file in the destination folder, are flushed to disk, and only then renamed into
place, so a reader never sees half a file. Files and folders are readable by the server's own
account only (0600 and 0700). Large bodies are stored as a stream (:func:`store_stream`) in
1 MiB chunks, hashed and counted on the way, never held in memory; a body shorter or longer than
declared is refused (SECURITY.md check 19: werkzeug reports a dropped connection as a normal
end). Resumable uploads keep their partial files in :mod:`app.core.resumable`.

A file belongs with a database row. :func:`delete_on_rollback` ties the two together (through
:mod:`app.core.pending_files`): if the transaction that should have recorded the file does not
commit, the file is removed again (SECURITY.md check 33: no rows without files, no files
without rows).
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import quote

from flask import Response, current_app, request
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.utils import send_file as werkzeug_send_file
from werkzeug.wrappers import Response as WerkzeugResponse

from app.core import pending_files, ranges
from app.core.db import DbSession
from app.core.files import (  # noqa: F401 - atomic_write is part of this module's interface
    DIR_MODE,
    FILE_MODE,
    Readable,
    atomic_write,
    copy_counted,
)

log = logging.getLogger("beeldbrug.storage")

_FOLDER_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}(/[a-z0-9][a-z0-9_-]{0,39}){0,3}$")
_SUFFIX_RE = re.compile(r"^\.[a-z0-9]{1,8}$")
_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{22,64}\.[a-z0-9]{1,8}$")
#: Headers on every stored file sent out (SECURITY.md check 21).
SEND_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "private, no-store",
}


class InvalidKeyError(ValueError):
    """A storage key that is not one this module hands out (traversal, odd characters)."""


class StorageRefusedError(ValueError):
    """A body this module will not store; nothing of it was kept."""


class TooLargeError(StorageRefusedError):
    """The body is (or declares to be) larger than the size limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the file is larger than the limit of {limit} bytes")
        self.limit = limit


class LengthMismatchError(StorageRefusedError):
    """The body ended before, or went on after, the length it declared."""

    def __init__(self, declared: int, received: int) -> None:
        what = "ended early" if received < declared else "was longer than declared"
        super().__init__(f"the body {what}: {received} bytes received, {declared} declared")
        self.declared = declared
        self.received = received


@dataclass(frozen=True)
class StoredFile:
    """A file that was stored: its key, its size in bytes and its SHA-256 (hex)."""

    key: str
    size: int
    sha256: str


class Storage(Protocol):
    """What every storage back end offers; the local folder is the first implementation."""

    def store_bytes(self, data: bytes, *, folder: str, suffix: str) -> StoredFile: ...

    def store_stream(
        self,
        stream: Readable | Iterable[bytes],
        *,
        folder: str,
        suffix: str,
        length: int | None,
        limit: int | None = None,
    ) -> StoredFile: ...

    def open_file(self, key: str) -> BinaryIO: ...

    def path_of(self, key: str) -> Path: ...

    def delete(self, key: str) -> bool: ...


class LocalStorage:
    """Files in a folder on this machine."""

    def __init__(self, root: Path, *, forbidden: Path | None = None) -> None:
        self.root = Path(root).resolve()
        if forbidden is not None and self.root.is_relative_to(Path(forbidden).resolve()):
            # Anything below static/ would be served to anyone without an access check.
            raise RuntimeError(f"MEDIA_ROOT must not be inside the static folder: {self.root}")

    def new_key(self, folder: str, suffix: str) -> str:
        """A fresh random key in ``folder`` (created, 0700). Raises ValueError for a bad name."""
        if not _FOLDER_RE.match(folder):
            raise ValueError(f"invalid storage folder: {folder!r}")
        if not _SUFFIX_RE.match(suffix):
            raise ValueError(f"invalid file suffix: {suffix!r}")
        self.make_dirs(self.root / folder)
        return f"{folder}/{secrets.token_urlsafe(24)}{suffix}"

    def store_bytes(self, data: bytes, *, folder: str, suffix: str) -> StoredFile:
        """Write ``data`` atomically under a new random name in ``folder``.

        Raises ValueError for a folder or suffix outside the allowed pattern, OSError when the
        disk refuses (nothing is left behind then).
        """
        key = self.new_key(folder, suffix)
        with atomic_write(self.root / key) as out:
            out.write(data)
        return StoredFile(key=key, size=len(data), sha256=hashlib.sha256(data).hexdigest())

    def store_stream(
        self,
        stream: Readable | Iterable[bytes],
        *,
        folder: str,
        suffix: str,
        length: int | None,
        limit: int | None = None,
    ) -> StoredFile:
        """Store a body read from ``stream`` in chunks, hashing and counting on the way.

        ``length`` is the size the sender declared (Content-Length, tus's Upload-Length): a
        body that ends before it (a dropped connection) or goes on after it is refused. With
        ``length=None`` only the limit applies. ``limit`` defaults to ``UPLOAD_MAX_BYTES``.
        The file appears under its key only when complete. Raises TooLargeError (a declared
        length over the limit is refused before anything is read), LengthMismatchError,
        ValueError for a bad folder or suffix, OSError from the disk; nothing is left behind
        after any of them.
        """
        if limit is None:
            limit = upload_limit()
        if length is not None and (length < 0 or length > limit):
            if length < 0:
                raise ValueError("a declared length cannot be negative")
            raise TooLargeError(limit)
        most = limit if length is None else length
        key = self.new_key(folder, suffix)
        digest = hashlib.sha256()
        with atomic_write(self.root / key) as out:
            received = copy_counted(stream, out, most=most, digest=digest)
            if received > most and length is None:
                raise TooLargeError(limit)
            if length is not None and received != length:
                raise LengthMismatchError(length, received)
        return StoredFile(key=key, size=received, sha256=digest.hexdigest())

    def open_file(self, key: str) -> BinaryIO:
        """Open a stored file for reading. Raises InvalidKeyError, FileNotFoundError."""
        return self.path_of(key).open("rb")

    def path_of(self, key: str) -> Path:
        """The absolute path of ``key``; raises InvalidKeyError for anything but a stored key."""
        if not isinstance(key, str) or "/" not in key:
            raise InvalidKeyError(key)
        folder, _, name = key.rpartition("/")
        if not _FOLDER_RE.match(folder) or not _NAME_RE.match(name):
            raise InvalidKeyError(key)
        path = (self.root / folder / name).resolve()
        if not path.is_relative_to(self.root):  # a symlinked folder pointing elsewhere
            raise InvalidKeyError(key)
        return path

    def delete(self, key: str) -> bool:
        """Remove a stored file; True if it existed. Raises InvalidKeyError for a bad key."""
        try:
            self.path_of(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def make_dirs(self, directory: Path) -> None:
        """Create ``directory`` below the root, giving every folder created here 0700."""
        # One level at a time: mkdir(parents=True) would give the parents the umask's mode.
        self.root.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        current = self.root
        for part in directory.relative_to(self.root).parts:
            current = current / part
            current.mkdir(mode=DIR_MODE, exist_ok=True)


def storage() -> LocalStorage:
    """The storage of the current application (``MEDIA_ROOT``)."""
    # current_app is typed as the Flask it stands for, not as the proxy it is.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    cached: LocalStorage | None = app.extensions.get("beeldbrug_storage")
    root = Path(app.config["MEDIA_ROOT"])
    if cached is None or cached.root != root.resolve():
        cached = LocalStorage(root, forbidden=Path(app.static_folder or "static"))
        app.extensions["beeldbrug_storage"] = cached
    return cached


def upload_limit() -> int:
    """The largest file the current application stores (``UPLOAD_MAX_BYTES``)."""
    return int(current_app.config.get("UPLOAD_MAX_BYTES") or 2 * 1024**3)


def store_bytes(data: bytes, *, folder: str, suffix: str) -> StoredFile:
    """Store ``data`` under a random name in ``folder`` (see :meth:`LocalStorage.store_bytes`)."""
    return storage().store_bytes(data, folder=folder, suffix=suffix)


def store_stream(
    stream: Readable | Iterable[bytes],
    *,
    folder: str,
    suffix: str,
    length: int | None,
    limit: int | None = None,
) -> StoredFile:
    """Store a streamed body (see :meth:`LocalStorage.store_stream` for what it raises)."""
    return storage().store_stream(stream, folder=folder, suffix=suffix, length=length, limit=limit)


def open_file(key: str) -> BinaryIO:
    """Open a stored file for reading. Raises InvalidKeyError, FileNotFoundError."""
    return storage().open_file(key)


def path_of(key: str) -> Path:
    """The absolute path of a stored file. Raises InvalidKeyError."""
    return storage().path_of(key)


def delete(key: str) -> bool:
    """Remove a stored file; True if it existed. Raises InvalidKeyError."""
    return storage().delete(key)


def send_stored(
    key: str,
    *,
    mimetype: str,
    download_name: str | None = None,
    as_attachment: bool = False,
    etag: str | bool = True,
    max_range: int | None = None,
) -> WerkzeugResponse:
    """Send a stored file to the client; the caller has already checked access.

    Range requests are answered (206 with Content-Range, suffix and open-ended ranges; 416
    when unsatisfiable) and conditional requests too. With ``MEDIA_ACCEL_PREFIX`` set (for
    example ``/_media/``, an ``internal`` nginx location whose root is MEDIA_ROOT) Flask sends
    no body, only ``X-Accel-Redirect`` and the same headers, and nginx serves the bytes and
    the ranges. Every response is ``nosniff``, same-origin only and never cached (SECURITY.md
    check 21). With ``max_range`` a range request is answered with at most that many bytes
    (:func:`app.core.ranges.capped_range`: an open-ended range becomes a partial 206 that
    players follow with the next range); such a capped answer is sent by Flask in both
    profiles, since nginx would answer the client's own Range header. Needs a request
    context. Raises InvalidKeyError for a key this module did not hand out and
    FileNotFoundError when the file is missing.
    """
    path = path_of(key)
    if not path.is_file():
        raise FileNotFoundError(key)
    environ = request.environ
    if max_range is not None:
        capped = ranges.capped_range(environ.get("HTTP_RANGE"), path.stat().st_size, max_range)
        if capped is not None:
            # Stored files never change under their key, so If-Range has nothing to decide.
            environ = {k: v for k, v in environ.items() if k != "HTTP_IF_RANGE"}
            environ["HTTP_RANGE"] = capped
    prefix = current_app.config.get("MEDIA_ACCEL_PREFIX")
    if prefix and environ is request.environ:
        response: WerkzeugResponse = Response(status=200, mimetype=mimetype)
        response.headers["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + key
        if as_attachment or download_name:
            _set_disposition(response, download_name or path.name, as_attachment)
    else:
        try:
            response = werkzeug_send_file(
                path,
                _range_environ(environ),
                mimetype=mimetype,
                as_attachment=as_attachment,
                download_name=download_name,
                conditional=True,
                etag=etag,
                max_age=0,
                response_class=current_app.response_class,
            )
        except RequestedRangeNotSatisfiable as refused:
            # Answered here rather than by the error pages, so it carries the same headers.
            response = refused.get_response()
        if download_name is None and not as_attachment:
            # werkzeug names the storage file; the answer through nginx names nothing.
            response.headers.pop("Content-Disposition", None)
    response.headers.update(SEND_HEADERS)
    return response


def _range_environ(environ: dict[str, object]) -> dict[str, object]:
    """The request's environ, without the server's file wrapper when a range is asked.

    gunicorn's ``wsgi.file_wrapper`` cannot seek, so werkzeug would read (and drop) every
    byte before the range's start: a seek near the end of a clip read the whole file first.
    werkzeug's own wrapper seeks. Whole files keep the server's wrapper (sendfile).
    """
    if "HTTP_RANGE" not in environ or "wsgi.file_wrapper" not in environ:
        return environ
    return {k: v for k, v in environ.items() if k != "wsgi.file_wrapper"}


def _set_disposition(response: WerkzeugResponse, name: str, as_attachment: bool) -> None:
    # What send_file writes, for the X-Accel answer that has no file to hand it.
    names: dict[str, str] = {"filename": name}
    if not name.isascii():
        plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
        names = {"filename": plain, "filename*": "UTF-8''" + quote(name, safe="!#$&+^`|~")}
    response.headers.set(
        "Content-Disposition", "attachment" if as_attachment else "inline", **names
    )


# --- files that must not outlive a rolled-back transaction ----------------------------------


def delete_on_rollback(session: DbSession, key: str) -> None:
    """Remove the file ``key`` again unless ``session``'s current transaction commits.

    Call it right after storing a file whose row is added in the same transaction. A rollback
    (of the whole transaction, or of the savepoint that was current), or a session closed
    without a commit, deletes the file (:mod:`app.core.pending_files`).
    """
    pending_files.track(session, path_of(key))


def forget_pending(session: DbSession, key: str) -> None:
    """Stop tracking ``key`` (after the caller deleted the file itself)."""
    pending_files.forget(session, path_of(key))
