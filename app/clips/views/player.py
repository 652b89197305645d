"""Clip pages: player."""

from app.clips import bp  # noqa: F401
