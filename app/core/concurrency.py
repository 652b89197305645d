"""Two people editing the same row never silently overwrite each other.

A model that people edit at the same time carries a version column, declared as SQLAlchemy's
``version_id_col``: every UPDATE names the version it read and raises ``StaleDataError`` when
the row moved on meanwhile. A form carries the version the person started from; a save is
refused when it differs from the row's (someone saved in between) or when the row changes
between the check and the write (two saves at once). The person's text stays in the form, to
merge by hand, and the form's version moves on so that the next save goes through.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.orm.exc import StaleDataError

from app.core.db import DbSession
from app.core.errors import RefusedError
from app.core.i18n import lazy_gettext as _l

#: What a person reads when someone else saved first.
STALE = _l(
    "Someone else saved a change here while you were editing, so your change was not saved. "
    "Your text is still in the form: compare it with what is saved now, then save again."
)


class Versioned(Protocol):
    """A row with a ``version`` column declared as its mapper's ``version_id_col``."""

    version: Any


class StaleEditError(RefusedError):
    """A save made on an older version of the row than the one stored."""

    def __init__(self, message: Any = STALE) -> None:
        super().__init__(message)


def parse_version(value: Any) -> int | None:
    """The version a form sent back, or None when it is missing or not a whole number."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def expect_version(row: Versioned, submitted: Any) -> None:
    """Refuse a save that started from another version of ``row`` than the stored one.

    Raises StaleEditError (a RefusedError) when ``submitted`` (the version the form was
    filled in on) is missing or differs from ``row.version``.
    """
    if parse_version(submitted) != row.version:
        raise StaleEditError()


def flush_versioned(session: DbSession) -> None:
    """Flush, turning a row that moved on between the check and the write (two saves at the
    same moment) into StaleEditError."""
    try:
        session.flush()
    except StaleDataError as stale:
        raise StaleEditError() from stale
