"""The background job queue (Huey), bound to an application in ``init_app`` like every other
extension: a SQLite file by default, Redis in scale-out, inline (``immediate://``) in tests.

A job is declared where its function lives, with :func:`job` (or :func:`periodic_job` for a
schedule), and callers call the task: ``conversion.convert_clip(clip.id)``. A job runs inside an
application context: the caller's own when the queue runs inline, else the app the queue was
bound to (the worker's: ``huey_consumer app.tasks.huey`` builds it).

Each app keeps its own queue in ``app.extensions``, so two apps in one process (tests build
several) do not take each other's queue; outside an app context the queue is the one of the app
bound last, which in the worker is its only app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from flask import Flask, current_app, has_app_context
from huey import Huey
from huey.storage import BaseStorage, MemoryStorage, RedisStorage, SqliteStorage

NAME = "beeldbrug"
_EXTENSION = "beeldbrug.jobs"


@dataclass(frozen=True)
class _Binding:
    app: Flask
    storage: BaseStorage
    immediate: bool


def storage_for(url: str) -> tuple[BaseStorage, bool]:
    """The storage named by ``url`` (``sqlite:///path``, ``redis://host:port/db``,
    ``immediate://``) and whether jobs run at once. Raises ValueError for another scheme."""
    parsed = urlparse(url)
    if parsed.scheme == "immediate":
        return MemoryStorage(NAME), True
    if parsed.scheme in {"redis", "rediss"}:
        return RedisStorage(NAME, url=url), False
    if parsed.scheme == "sqlite":
        path = Path(parsed.path[1:] if parsed.path.startswith("//") else parsed.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteStorage(NAME, filename=str(path)), False
    raise ValueError(f"unsupported JOBS_URL: {url}")


class JobQueue(Huey):  # type: ignore[misc]  # huey ships no type information
    """A Huey whose storage each app chooses in :meth:`init_app` from ``JOBS_URL``."""

    def __init__(self) -> None:
        self._last: _Binding | None = None
        super().__init__(NAME, storage_class=MemoryStorage)

    def create_storage(self) -> BaseStorage:
        return MemoryStorage(NAME)  # Huey's __init__ asks for one; each app binds its own

    def init_app(self, app: Flask) -> None:
        """Bind the queue to ``app``: its storage from ``app.config["JOBS_URL"]``.
        Raises ValueError for a URL of an unknown kind."""
        storage, immediate = storage_for(app.config["JOBS_URL"])
        binding = _Binding(app, storage, immediate)
        app.extensions[_EXTENSION] = binding
        self._last = binding

    def _binding(self) -> _Binding:
        if has_app_context():
            binding: _Binding | None = current_app.extensions.get(_EXTENSION)
            if binding is not None:
                return binding
        if self._last is None:
            raise RuntimeError("the job queue is not bound to an app: call create_app() first")
        return self._last

    # Huey reads these two attributes wherever it queues, stores or runs; each answers for the
    # app in use. Huey's own __init__ assigns both: the unbound values are not used.
    @property
    def storage(self) -> BaseStorage:
        return self._binding().storage

    @storage.setter
    def storage(self, value: BaseStorage) -> None:
        pass

    @property
    def _immediate(self) -> bool:
        return self._binding().immediate

    @_immediate.setter
    def _immediate(self, value: bool) -> None:
        pass

    def app(self) -> Flask:
        """The app a job runs in when called outside an app context (the worker's)."""
        return self._binding().app


huey = JobQueue()


def _in_app(fn: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            return fn(*args, **kwargs)
        with huey.app().app_context():
            return fn(*args, **kwargs)

    return run


def job(**task_options: Any) -> Callable[[Callable[..., Any]], Any]:
    """Declare ``fn`` a background task that runs with an application context, known to the
    queue as ``<module>.<function>``; calling the task queues it (runs it at once when inline).
    """

    def decorator(fn: Callable[..., Any]) -> Any:
        return huey.task(**task_options)(_in_app(fn))

    return decorator


def periodic_job(schedule: Callable[..., bool]) -> Callable[[Callable[..., Any]], Any]:
    """Declare ``fn`` a task the worker runs on ``schedule`` (a ``huey.crontab``), with an
    application context; calling it queues it at once, as for :func:`job`."""

    def decorator(fn: Callable[..., Any]) -> Any:
        return huey.periodic_task(schedule)(_in_app(fn))

    return decorator


def revoke_queued(wanted: Callable[[str, tuple[Any, ...], dict[str, Any]], bool]) -> int:
    """Revoke every job waiting in the queue (or scheduled for a retry) for which
    ``wanted(name, args, kwargs)`` is true: the worker then skips it. ``name`` is the task's
    ``<module>.<function>``. Returns how many were revoked; raises the storage's errors.
    """
    revoked = 0
    for task in [*huey.pending(), *huey.scheduled()]:
        name = huey._registry.task_to_string(type(task))
        if wanted(name, tuple(task.args or ()), dict(task.kwargs or {})):
            huey.revoke_by_id(task.id, revoke_once=True)
            revoked += 1
    return revoked
