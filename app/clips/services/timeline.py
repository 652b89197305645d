"""The clips' events on a child's timeline (``app.core.timeline``): recordings uploaded,
fragments cut, and changes of who sees a clip.

Only clips the viewer sees now, by the clip list's own rule (``queries.clip_rule``: the
audience, ``app.circle.audience``, and what consent allows, ``gate``), filtered in SQL. An
upload or a cut is the clip's row; a change of audience keeps no row of its own, so it is read
from the audit log (its event names the clip and the audiences it went from and to, in the
event's ``detail``: :func:`audience_set`), joined to the clip under the same rule.

Built once per role (the audiences a role sees); the child, the viewer and the sources consent
lets them watch now are bound at each request (``app.core.timeline``).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, select

from app.circle.models import Role
from app.circle.policy import Seat
from app.clips.models import Clip
from app.clips.services import gate, queries
from app.core.audit import AuditEvent
from app.core.timeline import CHILD, VIEWER, Source, event_columns, kind_when

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


#: The sources of others' clips consent lets the viewer watch now, and of their own uploads.
_PLAYABLE: BindParameter[Any] = bindparam("timeline_clip_sources", expanding=True)
_OWN_PLAYABLE: BindParameter[Any] = bindparam("timeline_clip_own_sources", expanding=True)


def _seen(role: Role) -> Any:
    """SQL for "the viewer, in ``role``, may see and watch this clip of the child now": the
    clip list's own rule (``queries.clip_rule``), what consent allows bound at each request."""
    return queries.clip_rule(role, CHILD, VIEWER, _PLAYABLE, _OWN_PLAYABLE)


def events(role: Role) -> list[Select[Any]]:
    """The selects of the clip events of the child that someone in ``role`` sees, each of the
    timeline's columns. Raises nothing."""
    seen = _seen(role)
    changes = (
        (AuditEvent.child_id == CHILD)
        & (AuditEvent.action == AUDIENCE_CHANGED)
        & (AuditEvent.object_type == Clip.__name__)
    )
    return [_MADE.where(seen), _SHARED.where(changes, seen)]


def values(seat: Seat) -> dict[str, Any]:
    """What consent lets ``seat`` watch now, as :func:`events` binds it (``gate``: the sources
    of others' clips, and of their own uploads). One query, which ``gate`` keeps for the
    request."""
    return {
        _PLAYABLE.key: sorted(gate.playable_sources(seat)),
        _OWN_PLAYABLE.key: [s for s in gate.PURPOSE_OF if gate.may_record(seat.child, s)],
    }


SOURCE = Source(events, values)


def audience_set(detail: str | None) -> str:
    """The audience a change gave its clip, from its event's ``detail`` (the audit event's
    data: the audiences it went from and to); "" when it names none."""
    try:
        payload = json.loads(detail or "{}")
    except ValueError:
        return ""
    return str(payload.get("to", "")) if isinstance(payload, dict) else ""
