"""Running pyHanko's coroutines from synchronous code."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_coroutine(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run one of pyHanko's coroutines to completion from synchronous code.

    pyHanko's own synchronous wrappers call ``asyncio.run``, which refuses to run inside a
    thread whose event loop is already running (an async server, or a test session that
    drives a browser). There the coroutine gets a loop of its own in a short-lived thread.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pdf-seal") as pool:
        return pool.submit(lambda: asyncio.run(make())).result()
