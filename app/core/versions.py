"""Versioned texts: a row per version, one draft at a time, and publishing that fixes it.

Consent texts are the first user; a support plan's versions or a meeting summary follow the
same path, and none of them imports another feature. How a feature versions something:

1. **Model.** ``class PlanVersion(VersionedMixin, Base)`` with the feature's own columns: the
   *series* the versions belong to (``child_id``; consent texts: ``school_id``), what is
   versioned, and ``UniqueConstraint("child_id", "version")``. :class:`VersionedMixin` adds the
   version number, who made it and when, and who published it and when; a published row
   refuses every change (:class:`app.core.immutable.Immutable`), publishing itself being the
   one change a draft allows.
2. **Services.** The series is given as keyword arguments, the same everywhere
   (``child_id=child.id``): :func:`published_version`, :func:`draft_version`,
   :func:`all_versions` and :func:`next_version` read it; :func:`start_draft` gives the
   draft, a new one (numbered next, filled from the version in force) only when there is none
   (one draft at a time; two racing drafts collide on the unique version number);
   :func:`check_draft` refuses to edit a published version, and :func:`publish_version` fixes
   one. The feature adds its own checks (complete in every language?) and its audit events.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ForeignKey, Integer, func, select
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.orm.attributes import get_history

from app.core.db import DbSession, UTCDateTime, utcnow
from app.core.errors import RefusedError
from app.core.i18n import lazy_gettext as _l
from app.core.immutable import Immutable

V = TypeVar("V", bound="VersionedMixin")

#: Why a published version is not edited, and not published twice.
PUBLISHED_IS_FIXED = _l("A published version cannot be changed. Start a new draft.")
ALREADY_PUBLISHED = _l("This version is already published.")


class VersionedMixin(Immutable):
    """The columns of one version in a series: its number, who made it and when, and who
    published it and when (None while it is a draft). A published row never changes."""

    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @declared_attr
    def created_by_id(cls) -> Mapped[int | None]:  # noqa: N805 - declared_attr receives the class
        # The version stays, with its number and dates, when the account is deleted later.
        return mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @declared_attr
    def published_by_id(cls) -> Mapped[int | None]:  # noqa: N805 - declared_attr receives the class
        return mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def is_published(self) -> bool:
        """True once the version is published (fixed for good)."""
        return self.published_at is not None

    def refuses_update(self) -> bool:
        """Publishing (no date before, a date now) is the one change a version allows once;
        after that every change is refused."""
        history = get_history(self, "published_at")
        before = (history.deleted or history.unchanged or [None])[0]
        return before is not None


def _in_series(model: type[V], series: dict[str, Any]) -> list[Any]:
    if not series:
        # Without a series every school's or child's versions would mix.
        raise TypeError("name the series, e.g. school_id=school.id")
    return [getattr(model, column) == value for column, value in series.items()]


def published_version(session: DbSession, model: type[V], **series: Any) -> V | None:
    """The series' version in force: its newest published one, or None. Raises TypeError
    without a series, nothing else beyond database errors."""
    return session.scalar(
        select(model)
        .where(*_in_series(model, series), model.published_at.is_not(None))
        .order_by(model.version.desc())
        .limit(1)
    )


def draft_version(session: DbSession, model: type[V], **series: Any) -> V | None:
    """The series' draft waiting to be published, or None (there is at most one). Raises
    TypeError without a series, nothing else beyond database errors."""
    return session.scalar(
        select(model)
        .where(*_in_series(model, series), model.published_at.is_(None))
        .order_by(model.version.desc())
        .limit(1)
    )


def all_versions(session: DbSession, model: type[V], **series: Any) -> list[V]:
    """Every version in the series, newest first. Raises TypeError without a series, nothing
    else beyond database errors."""
    return list(
        session.scalars(
            select(model).where(*_in_series(model, series)).order_by(model.version.desc())
        )
    )


def next_version(session: DbSession, model: type[V], **series: Any) -> int:
    """The number the series' next version gets: one past the highest, 1 for the first.
    Raises TypeError without a series, nothing else beyond database errors."""
    highest = session.scalar(select(func.max(model.version)).where(*_in_series(model, series)))
    return (highest or 0) + 1


def start_draft(
    session: DbSession,
    model: type[V],
    fill: Callable[[V | None], dict[str, Any]],
    *,
    actor_id: int | None,
    **series: Any,
) -> tuple[V, bool]:
    """The series' draft, and whether it is new: the existing draft when there is one (one at
    a time), else a new one numbered next, made by ``actor_id``, with the columns
    ``fill(in_force)`` gives from the version in force (None before the first is published);
    added and flushed. Raises TypeError without a series, and database errors (two drafts
    started at once: the unique version number)."""
    existing = draft_version(session, model, **series)
    if existing is not None:
        return existing, False
    in_force = published_version(session, model, **series)
    draft = model(**series, **fill(in_force))
    draft.version = next_version(session, model, **series)
    draft.created_by_id = actor_id
    session.add(draft)
    session.flush()
    return draft, True


def check_draft(version: VersionedMixin, message: Any = PUBLISHED_IS_FIXED) -> None:
    """Refuse to edit a published version: raises RefusedError with ``message``."""
    if version.is_published:
        raise RefusedError(message)


def publish_version(version: VersionedMixin, *, actor_id: int | None) -> None:
    """Fix a draft: published now by ``actor_id``, never to change again (nothing is flushed).
    Raises RefusedError when it is published already."""
    if version.is_published:
        raise RefusedError(ALREADY_PUBLISHED)
    version.published_at = utcnow()
    version.published_by_id = actor_id
