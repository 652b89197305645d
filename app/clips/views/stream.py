"""Clip pages: stream."""

from app.clips import bp  # noqa: F401
