"""The meeting pages, one module a job; importing this package registers them on ``meetings.bp``."""

from app.meetings.views import (  # noqa: F401
    agenda,
    agreements,
    mode,
    mode_agreements,
    planning,
    summary,
)
