"""Clips as a test needs them: an uploaded clip waiting for the worker, a lock held by
another process, the media folder."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from app.circle.audience import Audience
from app.circle.models import Child, User
from app.clips.models import Clip, ClipState, Source
from app.core import storage
from app.core.db import db


def media_root(app: Any) -> Path:
    """The app's ``MEDIA_ROOT``."""
    return Path(app.config["MEDIA_ROOT"])


def uploaded(app: Any, child: Child, uploader: User | None, video: Path, **values: Any) -> Clip:
    """An uploaded clip waiting for the worker, with ``video`` as its original; committed."""
    files = storage.LocalStorage(media_root(app))
    stored = files.store_bytes(video.read_bytes(), folder="clips/originals", suffix=video.suffix)
    clip = Clip(
        child_id=child.id,
        source=values.pop("source", Source.SCHOOL),
        uploader_id=uploader.id if uploader is not None else None,
        title=values.pop("title", "Kring"),
        audience=values.pop("audience", Audience.TEAM),
        state=ClipState.UPLOADED,
        original_key=stored.key,
        original_name=video.name,
        original_size=stored.size,
        original_sha256=stored.sha256,
        **values,
    )
    db.session.add(clip)
    db.session.commit()
    return clip


#: A stand-in for another worker: takes the lock, says so, and holds it until killed.
HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(120)
"""


@contextmanager
def held(lock: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holds ``lock`` until the block ends or the process is killed."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "locked"
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
