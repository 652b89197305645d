"""``/health/worker``: whether the background worker is running, for monitoring.

Public (a monitor has no account) and without private data: the answer names no school,
person or clip, only whether a heartbeat was seen recently and how many seconds ago. 200 while
the worker runs, 503 when it does not, so a plain HTTP check can alert on the status code.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from app.circle import routes
from app.core import heartbeat

bp = Blueprint("health", __name__, url_prefix="/health")


@bp.get("/worker")
@routes.public
def worker() -> Any:
    found = heartbeat.status()
    body = {
        "worker": "running" if found.running else "stopped",
        "last_seen_seconds_ago": found.seconds_ago(),
        "inline": found.inline,
    }
    response = jsonify(body)
    response.status_code = 200 if found.running else 503
    response.headers["Cache-Control"] = "no-store"
    return response
