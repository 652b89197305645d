"""Clip pages: upload."""

from app.clips import bp  # noqa: F401
