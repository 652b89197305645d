"""Entry point of the job worker: ``huey_consumer app.tasks.huey``.

Importing the feature task modules here registers every task with the consumer.
"""

from app.clips import tasks as _clips_tasks  # noqa: F401
from app.consent import tasks as _consent_tasks  # noqa: F401
from app.core import mail as _mail  # noqa: F401  (registers the send-mail task)
from app.core.jobs import huey

__all__ = ["huey"]
