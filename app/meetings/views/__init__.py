"""The meeting pages, one module a job; importing this package registers them on ``meetings.bp``."""

from app.meetings.views import agenda, agreements, mode, planning, summary  # noqa: F401
