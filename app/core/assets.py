"""Versioned addresses of static files.

``url_for('static', filename=...)`` gets ``?v=`` and the first characters of the file's
SHA-256, so a cache (nginx tells browsers to keep such an address for a year) never serves an
old stylesheet or script after an upgrade: a changed file has a new address. The hash is
worked out once per process and file, again when the file changes on disk (looked at no more
than once every few seconds: a page names its stylesheet, scripts and logo every time).
"""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from werkzeug.security import safe_join

VERSION_LENGTH = 12
#: Seconds a version is trusted before the file is looked at again.
RECHECK_SECONDS = 5.0

_versions: dict[Path, tuple[tuple[int, int], str]] = {}
_recent: dict[tuple[str, str], tuple[float, str | None]] = {}
_lock = threading.Lock()


def recent_version_of(folder: str | Path, filename: str) -> str | None:
    """:func:`version_of`, trusted for RECHECK_SECONDS after it was last worked out."""
    key = (str(folder), filename)
    now = time.monotonic()
    found = _recent.get(key)
    if found is not None and now - found[0] < RECHECK_SECONDS:
        return found[1]
    version = version_of(folder, filename)
    _recent[key] = (now, version)
    return version


def version_of(folder: str | Path, filename: str) -> str | None:
    """The version of static file ``filename`` in ``folder``, or None when there is none."""
    joined = safe_join(str(folder), filename)
    if joined is None:
        return None
    path = Path(joined)
    try:
        stat = path.stat()
    except OSError:
        return None
    if not path.is_file():
        return None
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _versions.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:VERSION_LENGTH]
    with _lock:
        _versions[path] = (stamp, digest)
    return digest


def _add_version(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint != "static" or "v" in values:
        return
    filename = values.get("filename")
    folder = current_app.static_folder
    if not filename or folder is None:
        return
    version = recent_version_of(folder, str(filename))
    if version is not None:
        values["v"] = version


def init_app(app: Flask) -> None:
    """Add ``?v=`` to every address of an existing static file the app builds."""
    app.url_defaults(_add_version)
