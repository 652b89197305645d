"""Clip pages: sharing."""

from app.clips import bp  # noqa: F401
