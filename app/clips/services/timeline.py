"""The clips' events on a child's timeline (``app.core.timeline``): recordings uploaded,
fragments cut, and changes of who sees a clip.

Only clips the viewer sees now, by the clip list's own clause (``queries.clip_clause``:
audience and consent), filtered in SQL. An upload or a cut is the clip's row; a change of
audience keeps no row of its own, so it is read from the audit log (its event names the clip
and the audiences it went from and to, in the event's ``detail``: :func:`audience_set`),
joined to the clip under the same clause.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Select, select

from app.circle.policy import Seat
from app.clips.models import Clip
from app.clips.services import queries
from app.core.audit import AuditEvent
from app.core.timeline import event_columns, kind_when

UPLOADED = "clip.uploaded"
CUT = "clip.cut"
SHARED = "clip.audience"

KINDS = (UPLOADED, CUT, SHARED)

#: The audit action of a change of a clip's audience (``sharing``).
AUDIENCE_CHANGED = "clip_audience_changed"


# What each event shows, built once: a request adds only which clips it sees.
_MADE = select(
    *event_columns(
        occurred_at=Clip.created_at,
        kind=kind_when([(Clip.parent_id.is_(None), UPLOADED)], CUT),
        object_id=Clip.id,
        subject_id=Clip.id,
        actor_id=Clip.uploader_id,
        title=Clip.title,
        detail=Clip.source,
    )
)
_SHARED = select(
    *event_columns(
        occurred_at=AuditEvent.created_at,
        kind=SHARED,
        object_id=AuditEvent.id,
        subject_id=Clip.id,
        actor_id=AuditEvent.actor_id,
        title=Clip.title,
        detail=AuditEvent.data,
    )
).join(Clip, Clip.id == AuditEvent.object_id)


def events(seat: Seat) -> list[Select[Any]]:
    """The selects of the clip events of ``seat``'s child that ``seat`` sees, each of the
    timeline's columns. Raises nothing."""
    clause = queries.clip_clause(seat)
    return [_MADE.where(clause), _SHARED.where(_audience_changes(seat), clause)]


def _audience_changes(seat: Seat) -> Any:
    return (
        (AuditEvent.child_id == seat.child.id)
        & (AuditEvent.action == AUDIENCE_CHANGED)
        & (AuditEvent.object_type == Clip.__name__)
    )


def audience_set(detail: str | None) -> str:
    """The audience a change gave its clip, from its event's ``detail`` (the audit event's
    data: the audiences it went from and to); "" when it names none."""
    try:
        payload = json.loads(detail or "{}")
    except ValueError:
        return ""
    return str(payload.get("to", "")) if isinstance(payload, dict) else ""
