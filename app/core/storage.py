"""Where Beeldbrug keeps files: a local folder now (``MEDIA_ROOT``), object storage later.

Files are stored under server-chosen random names, never the uploader's, and never below
``static/``: bytes leave only through a view that ran its access check first. A key looks like
``documents/2f1c…e9.pdf``; keys from anywhere else (a database row that was tampered with, a
path from a URL) are validated before they touch the file system.

Writes are atomic: the bytes go to a temporary file in the destination folder, are flushed to
disk, and only then renamed into place, so a reader never sees half a file. Files and folders
are readable by the server's own account only (0600 and 0700).

A file belongs with a database row. :func:`delete_on_rollback` ties the two together: if the
transaction that should have recorded the file does not commit, the file is removed again
(SECURITY.md check 33: no rows without files, no files without rows).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, scoped_session

log = logging.getLogger("beeldbrug.storage")

FILE_MODE = 0o600
DIR_MODE = 0o700
_FOLDER_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}(/[a-z0-9][a-z0-9_-]{0,39}){0,3}$")
_SUFFIX_RE = re.compile(r"^\.[a-z0-9]{1,8}$")
_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{22,64}\.[a-z0-9]{1,8}$")
PENDING_KEY = "beeldbrug_pending_files"


class InvalidKeyError(ValueError):
    """A storage key that is not one this module hands out (traversal, odd characters)."""


@dataclass(frozen=True)
class StoredFile:
    """A file that was stored: its key, its size in bytes and its SHA-256 (hex)."""

    key: str
    size: int
    sha256: str


class Storage(Protocol):
    """What every storage back end offers; the local folder is the first implementation."""

    def store_bytes(self, data: bytes, *, folder: str, suffix: str) -> StoredFile: ...

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

    def store_bytes(self, data: bytes, *, folder: str, suffix: str) -> StoredFile:
        """Write ``data`` atomically under a new random name in ``folder``.

        Raises ValueError for a folder or suffix outside the allowed pattern, OSError when the
        disk refuses (nothing is left behind then).
        """
        if not _FOLDER_RE.match(folder):
            raise ValueError(f"invalid storage folder: {folder!r}")
        if not _SUFFIX_RE.match(suffix):
            raise ValueError(f"invalid file suffix: {suffix!r}")
        directory = self.root / folder
        self._make_dirs(directory)
        key = f"{folder}/{secrets.token_urlsafe(24)}{suffix}"
        final = self.root / key
        fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=suffix)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp_name, FILE_MODE)
            os.replace(tmp_name, final)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return StoredFile(key=key, size=len(data), sha256=hashlib.sha256(data).hexdigest())

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

    def _make_dirs(self, directory: Path) -> None:
        # One level at a time, so that every folder created here gets 0700.
        self.root.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        current = self.root
        for part in directory.relative_to(self.root).parts:
            current = current / part
            current.mkdir(mode=DIR_MODE, exist_ok=True)


def storage() -> LocalStorage:
    """The storage of the current application (``MEDIA_ROOT``)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    cached: LocalStorage | None = app.extensions.get("beeldbrug_storage")
    root = Path(app.config["MEDIA_ROOT"])
    if cached is None or cached.root != root.resolve():
        cached = LocalStorage(root, forbidden=Path(app.static_folder or "static"))
        app.extensions["beeldbrug_storage"] = cached
    return cached


def store_bytes(data: bytes, *, folder: str, suffix: str) -> StoredFile:
    """Store ``data`` under a random name in ``folder`` (see :meth:`LocalStorage.store_bytes`)."""
    return storage().store_bytes(data, folder=folder, suffix=suffix)


def open_file(key: str) -> BinaryIO:
    """Open a stored file for reading. Raises InvalidKeyError, FileNotFoundError."""
    return storage().open_file(key)


def path_of(key: str) -> Path:
    """The absolute path of a stored file. Raises InvalidKeyError."""
    return storage().path_of(key)


def delete(key: str) -> bool:
    """Remove a stored file; True if it existed. Raises InvalidKeyError."""
    return storage().delete(key)


# --- files that must not outlive a rolled-back transaction ----------------------------------


@dataclass
class _Pending:
    path: Path
    transaction: SessionTransaction | None


def _real(session: Session | scoped_session[Session]) -> Session:
    return session() if isinstance(session, scoped_session) else session


def delete_on_rollback(session: Session | scoped_session[Session], key: str) -> None:
    """Remove the file ``key`` again unless ``session``'s current transaction commits.

    Call it right after storing a file whose row is added in the same transaction. A rollback
    (of the whole transaction, or of the savepoint that was current), or a session closed
    without a commit, deletes the file. The absolute path is kept so that the clean-up works
    outside an application context too.
    """
    session = _real(session)
    if session.get_transaction() is None:
        session.connection()  # begin now, so the file is tied to this transaction
    current = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(PENDING_KEY, []).append(_Pending(path_of(key), current))


def forget_pending(session: Session | scoped_session[Session], key: str) -> None:
    """Stop tracking ``key`` (after the caller deleted the file itself)."""
    session = _real(session)
    path = path_of(key)
    pending: list[_Pending] = session.info.get(PENDING_KEY, [])
    session.info[PENDING_KEY] = [p for p in pending if p.path != path]


def _remove(entries: list[_Pending]) -> None:
    for entry in entries:
        try:
            entry.path.unlink(missing_ok=True)
            log.info("removed file of a transaction that did not commit: %s", entry.path.name)
        except OSError:
            log.exception("could not remove orphan file %s", entry.path)


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_commit")
def _keep_committed(session: Session) -> None:
    # Only the outermost commit makes the rows durable; releasing a savepoint does not.
    if session.get_nested_transaction() is None:
        session.info.pop(PENDING_KEY, None)


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending: list[_Pending] = session.info.get(PENDING_KEY, [])
    if not pending:
        return
    gone = [p for p in pending if _within(p.transaction, previous_transaction)]
    if gone:
        session.info[PENDING_KEY] = [p for p in pending if p not in gone]
        _remove(gone)


@event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without a commit (the session was closed or removed):
    # its rows are gone, so its files go too.
    if transaction.parent is None:
        _remove(session.info.pop(PENDING_KEY, []))
