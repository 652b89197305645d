"""Errors that services raise for a person to read."""

from __future__ import annotations

from typing import Any


class RefusedError(Exception):
    """A service refused to act; ``message`` is a (lazy) translated sentence for the user.

    ``field`` names the form field the message belongs to, when there is one.
    """

    def __init__(self, message: Any, *, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field
