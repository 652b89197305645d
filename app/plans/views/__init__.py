"""The plan pages, one module a job; importing this package registers them on ``plans.bp``."""

from app.plans.views import answer, edit, pages  # noqa: F401
