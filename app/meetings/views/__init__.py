"""The meeting pages, one module a job; importing this package registers them on ``meetings.bp``."""

from app.meetings.views import agenda, mode, planning  # noqa: F401
