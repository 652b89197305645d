"""What the child's page shows about other features, without the people feature importing them.

The child's page (``people.child``) belongs to the people feature, yet it also tells something
about other features' data: how many clips the person may see, for one. Features stand side by
side and do not import each other, so a feature contributes its piece here when its blueprint is
registered, and the page collects every piece at once::

    @bp.record_once
    def _on_the_childs_page(state: BlueprintSetupState) -> None:
        child_page.contribute(state.app, "clip_count", listing.count_visible)

A contribution is a function ``(session, user, child) -> value``; the value reaches the page's
template as a variable of the name it was contributed under. Each contribution must cost a fixed
number of queries (one is best), so the page never asks more as a feature's rows grow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from sqlalchemy.orm import Session

from app.auth.models import User
from app.people.models import Child

Contribution = Callable[[Session, User, Child], Any]
"""Computes one value for the child's page: ``(session, user, child) -> value``."""

_EXTENSION = "beeldbrug.child_page"


def contribute(app: Flask, name: str, provide: Contribution) -> None:
    """Show the value of ``provide`` on ``app``'s child page, as the template variable ``name``.

    Raises ValueError when ``name`` is no Python identifier or is taken already: two features
    must not silently overwrite each other's piece.
    """
    contributions: dict[str, Contribution] = app.extensions.setdefault(_EXTENSION, {})
    if not name.isidentifier():
        raise ValueError(f"child page: {name!r} is no identifier a template can read")
    if name in contributions:
        raise ValueError(f"child page: {name!r} is contributed already")
    contributions[name] = provide


def collect(session: Session, user: User, child: Child) -> dict[str, Any]:
    """Every contribution to the current app's child page, computed for ``child`` as ``user``
    may see it, by name, in the order the features contributed them. Raises what a contribution
    raises (database errors).
    """
    contributions: dict[str, Contribution] = current_app.extensions.get(_EXTENSION, {})
    return {name: provide(session, user, child) for name, provide in contributions.items()}
