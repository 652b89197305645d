"""Rows that must never change once stored: a signed record, a published text, a finalised
meeting. The guard sits in the ORM (a ``before_update`` listener), so no service can forget it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event


class ImmutableRecordError(RuntimeError):
    """Raised when code tries to change a record that must never change."""


class Immutable:
    """Mixin for models whose rows never change once stored (a signed record, a published
    text, a finalised meeting): every flush of a change raises :class:`ImmutableRecordError`.

    A model that allows one last change (publishing a draft, say) overrides
    :meth:`refuses_update`, which sees the pending change through ``sqlalchemy.inspect``.
    """

    def refuses_update(self) -> bool:
        """True when this pending update must be refused (always, unless overridden)."""
        return True


@event.listens_for(Immutable, "before_update", propagate=True)
def _refuse_update(mapper: Any, connection: Any, target: Immutable) -> None:
    if target.refuses_update():
        raise ImmutableRecordError(
            f"{type(target).__name__} {getattr(target, 'id', '?')} cannot be changed"
        )
