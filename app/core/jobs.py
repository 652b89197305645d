"""The background job queue (Huey): a SQLite file by default, Redis in scale-out.

Tasks are declared with :func:`job`, which runs the task inside an application context: the
web process's own when the queue runs inline (tests), else one app built once per worker.
Run the worker with ``huey_consumer app.tasks.huey -w 1 -k thread``.

A feature's ``tasks`` module imports its services (the jobs call them), so a service that
queues work cannot import it back: it calls :func:`queue` with the job's name instead.
``create_app`` imports ``app.tasks``, so every job is declared before a service queues one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from flask import Flask, has_app_context
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey


def make_huey(url: str) -> Huey:
    """Build the queue named by ``url`` (sqlite:///path, redis://host:port/db, immediate://)."""
    parsed = urlparse(url)
    if parsed.scheme == "immediate":
        return MemoryHuey("beeldbrug", immediate=True)
    if parsed.scheme in {"redis", "rediss"}:
        return RedisHuey("beeldbrug", url=url)
    if parsed.scheme == "sqlite":
        path = Path(parsed.path[1:] if parsed.path.startswith("//") else parsed.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey("beeldbrug", filename=str(path))
    raise ValueError(f"unsupported JOBS_URL: {url}")


def _jobs_url() -> str:
    from config import config_from_env

    return os.environ.get("JOBS_URL") or config_from_env().JOBS_URL  # type: ignore[return-value]


huey: Huey = make_huey(_jobs_url())
_worker_app: Flask | None = None
_declared: dict[str, Any] = {}
"""Each job's name (as :func:`job` gives it) → its task."""


def _app_for_worker() -> Flask:
    global _worker_app
    if _worker_app is None:
        from app import create_app

        _worker_app = create_app()
    return _worker_app


def job(**task_options: Any) -> Callable[[Callable[..., Any]], Any]:
    """Declare a background task that runs with an application context, named
    ``<module>.<function>`` (the name :func:`queue` takes and the queue stores)."""

    def decorator(fn: Callable[..., Any]) -> Any:
        name = f"{fn.__module__}.{fn.__name__}"

        @wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            if has_app_context():
                return fn(*args, **kwargs)
            with _app_for_worker().app_context():
                return fn(*args, **kwargs)

        task = huey.task(name=name, **task_options)(run)
        _declared[name] = task
        return task

    return decorator


def queue(name: str, *args: Any) -> Any:
    """Queue the job declared as ``name`` (``"app.clips.tasks.process_clip"``) with ``args``,
    exactly as calling the task does (run at once when the queue is inline). Raises LookupError
    when no job of that name is declared.
    """
    try:
        task = _declared[name]
    except KeyError:
        raise LookupError(f"no background job is declared as {name!r}") from None
    return task(*args)
