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


class NotFoundError(Exception):
    """What was asked for does not exist, or is not for this person: the two look alike.

    The web layer answers 404 (``app.core.web``); ``reason`` is for the log, never shown.
    """

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)
        self.reason = reason


class ForbiddenError(Exception):
    """The person may see the thing but not do this with it.

    The web layer answers 403 (``app.core.web``); ``reason`` is for the log, never shown.
    """

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
