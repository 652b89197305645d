"""Clip pages: processing."""

from app.clips import bp  # noqa: F401
