"""Is the background worker running? Its heartbeat, kept where web and worker both look.

The worker (``huey_consumer app.tasks.huey``) starts a thread in each of its processes that
writes the time every :data:`INTERVAL` into the job queue's own storage (the SQLite file or
Redis of ``JOBS_URL``, which the web processes use too), so no table and no shared folder is
needed. A thread rather than a scheduled job: a job would wait behind a long conversion and
the worker would look stopped while it works. When no beat was seen for
``WORKER_STALE_MINUTES``, pages that wait on the worker say so, and ``flask worker-status`` and
``/health/worker`` report it. With jobs run inline (``immediate://``, the tests) there is no
separate worker to lose: it counts as running.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from huey.constants import EmptyData

from app.core.db import utcnow
from app.core.jobs import huey

log = logging.getLogger("beeldbrug.worker")

KEY = "beeldbrug.worker-heartbeat"
#: Seconds between two beats of a running worker.
INTERVAL = 30.0
#: When no minutes are configured: a few missed beats are a restart, more is a stop.
DEFAULT_STALE = timedelta(minutes=5)

_started = threading.Event()


@dataclass(frozen=True)
class WorkerStatus:
    """What is known of the worker: running or not, and when it was last seen (None: never,
    or inline jobs)."""

    running: bool
    last_seen: datetime | None
    inline: bool

    def seconds_ago(self, now: datetime | None = None) -> int | None:
        if self.last_seen is None:
            return None
        return max(0, int(((now or utcnow()) - self.last_seen).total_seconds()))


def beat(now: datetime | None = None) -> None:
    """Record that the worker is alive now. Raises whatever the queue's storage raises."""
    moment = now or utcnow()
    huey.storage.put_data(KEY, moment.isoformat().encode())


def last_seen() -> datetime | None:
    """When the worker last beat, or None if it never did (since the storage was made)."""
    value = huey.storage.peek_data(KEY)
    if value is EmptyData or not value:
        return None
    try:
        return datetime.fromisoformat(bytes(value).decode())
    except (ValueError, UnicodeDecodeError):
        return None


def stale_after() -> timedelta:
    """How long without a beat before the worker counts as stopped (``WORKER_STALE_MINUTES``)."""
    if has_app_context():
        minutes = current_app.config.get("WORKER_STALE_MINUTES")
        if minutes:
            return timedelta(minutes=float(minutes))
    return DEFAULT_STALE


def status(now: datetime | None = None) -> WorkerStatus:
    """Whether the worker is running, as far as its heartbeat says. Raises nothing: a storage
    that cannot be read counts as a stopped worker (and is logged)."""
    if huey.immediate:
        return WorkerStatus(running=True, last_seen=None, inline=True)
    try:
        seen = last_seen()
    except Exception:  # noqa: BLE001 - a queue we cannot read is a worker we cannot see
        log.exception("the worker's heartbeat could not be read")
        seen = None
    moment = now or utcnow()
    running = seen is not None and moment - seen <= stale_after()
    return WorkerStatus(running=running, last_seen=seen, inline=False)


def start_beating(interval: float = INTERVAL) -> threading.Event:
    """Beat now and then every ``interval`` seconds in a daemon thread, once per process
    (called when the worker starts). A failed beat is logged and tried again. Returns the
    event that stops the thread when set."""
    stop = threading.Event()
    if _started.is_set():
        return stop
    _started.set()
    app = huey.app()

    def run() -> None:
        while not stop.is_set():
            try:
                with app.app_context():
                    beat()
            except Exception:  # noqa: BLE001 - the next beat tries again
                log.exception("the worker's heartbeat could not be written")
            stop.wait(interval)

    threading.Thread(target=run, name="beeldbrug-heartbeat", daemon=True).start()
    return stop
