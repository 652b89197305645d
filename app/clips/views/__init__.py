"""The clip pages, one module a job; importing this package registers them on ``clips.bp``."""

from app.clips.views import player, processing, sharing, stream, upload  # noqa: F401
