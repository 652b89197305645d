"""A plan version as plain data, and that data in one canonical form with its SHA-256.

Sending a version stores :func:`canonical` of :func:`of` on it; the draft is read the same
way, so two versions compare part by part whatever their state (:mod:`.compare`). The
canonical form is JSON with sorted keys, no spaces and UTF-8 text: the same plan gives the
same bytes, and so the same hash, on any machine.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from app.plans.models import PlanItem, PlanParentView, PlanVersion

#: The form of the snapshot; raised when its shape changes.
FORMAT = 1


def _day(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _source(item: PlanItem) -> dict[str, Any] | None:
    for kind in ("need", "agreement", "moment"):
        source_id = getattr(item, f"{kind}_id")
        if source_id is not None:
            return {"kind": kind, "id": source_id}
    return None


def of(
    version: PlanVersion, items: Iterable[PlanItem], views: Iterable[PlanParentView]
) -> dict[str, Any]:
    """The version's parts, items (with what they were adopted from) and the parents'
    views, as plain data."""
    return {
        "format": FORMAT,
        "child_id": version.child_id,
        "version": version.version,
        "plan_date": _day(version.plan_date),
        "exit_profile": version.exit_profile,
        "exit_reasoning": version.exit_reasoning,
        "deviation": version.deviation,
        "evaluation": version.evaluation,
        "pupil_view": version.pupil_view,
        "consulted_on": _day(version.consulted_on),
        "items": [
            {
                "part": str(item.part),
                "text": item.text,
                "target_on": _day(item.target_on),
                "who": item.who,
                "source": _source(item),
            }
            for item in items
        ],
        "parents_views": [
            {"name": view.author.name, "text": view.text, "written_at": view.updated_at.isoformat()}
            for view in views
        ],
    }


def canonical(data: dict[str, Any]) -> str:
    """``data`` as canonical JSON: sorted keys, no spaces, text as UTF-8 (not escaped)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(text: str) -> str:
    """The SHA-256 of the canonical text's UTF-8 bytes, in hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load(version: PlanVersion) -> dict[str, Any] | None:
    """The snapshot a sent version stores, or None for a draft."""
    if version.snapshot is None:
        return None
    loaded: dict[str, Any] = json.loads(version.snapshot)
    return loaded
