"""Entry point of the job worker: ``huey_consumer app.tasks.huey``.

Builds the worker's app from the environment, which binds the queue to ``JOBS_URL`` and
declares every job (the services that declare them are imported with the app's views); the
modules with scheduled jobs are imported here by name, so none depends on a view.
"""

from app import create_app
from app.children.export import delivery as child_exports  # noqa: F401  (scheduled jobs)
from app.clips.services import recovery, retention, upload  # noqa: F401  (scheduled jobs)
from app.consent.services import notices  # noqa: F401  (scheduled jobs)
from app.core import heartbeat
from app.core.jobs import huey
from app.documents import anchors, erasure  # noqa: F401  (scheduled jobs)
from app.meetings.services import due as agreement_due  # noqa: F401  (scheduled jobs)
from app.meetings.services import notices as meeting_notices  # noqa: F401  (scheduled jobs)
from app.plans.services import reminders as plan_reminders  # noqa: F401  (scheduled jobs)

app = create_app()


@huey.on_startup()
def _beat() -> None:
    # Each worker process leaves a heartbeat the web pages and `flask worker-status` read.
    heartbeat.start_beating()


__all__ = ["app", "huey"]
