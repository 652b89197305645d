"""gunicorn settings. gthread workers: a streaming response never blocks the other requests."""

import os
import sys
from pathlib import Path

# The project's folder, so the settings module is found whatever folder gunicorn starts in.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from config import DEFAULT_BIND, url_of_bind  # noqa: E402

bind = os.environ.get("BIND") or DEFAULT_BIND
worker_class = "gthread"
# One process keeps the embedded default's in-memory rate limits consistent; scale-out
# (Redis limits) raises WEB_PROCESSES.
workers = int(os.environ.get("WEB_PROCESSES", "1"))
# Four threads a process: a page is Python work, and more threads of one process only take
# turns at its interpreter lock, each turn costing more (on 2 cores the coach's busiest page
# took about a third more processor time per request at 16 connections with 8 threads than
# with 4; README, "Benchmarks", run G). A thread waits for the network only while it sends a
# capped range of video without nginx, or receives an upload's chunk: raise WEB_THREADS where
# many uploads run at once.
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = 60
graceful_timeout = 20
control_socket_disable = True
accesslog = "-"
# The path without its query string: invitation and reset links carry their secret there.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'


def serving_address(listener: str) -> str:
    """Where a listening socket is reached, from gunicorn's name for it (``http://host:port``
    or ``unix:/path``): the real port, with a wildcard host shown as loopback."""
    if listener.startswith("unix:"):
        return listener
    return url_of_bind(listener.removeprefix("http://"))


def when_ready(server) -> None:  # type: ignore[no-untyped-def]
    """Once listening, say where, on standard output: the address a newcomer opens."""
    for listener in server.LISTENERS:
        print(f"Beeldbrug is running on {serving_address(str(listener))}", flush=True)
