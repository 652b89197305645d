"""Consent's events on a child's timeline (``app.core.timeline``): each signed record, a
consent (answers given) or a withdrawal.

Filtered in SQL as the consent page lists records: the coach sees every signer's records
(``Action.VIEW_ALL_CONSENT_RECORDS``), anyone else only their own; the status per purpose,
which everyone in the circle sees, is on the consent page, not here. Built once per role, the
child and the viewer bound at each request (``app.core.timeline``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, case, cast, select, true

from app.circle import policy
from app.circle.models import Role
from app.circle.policy import Action
from app.consent.models import ConsentRecord, RecordKind
from app.core.timeline import CHILD, VIEWER, Source, event_columns, kind_when

SIGNED = "consent.signed"
WITHDRAWN = "consent.withdrawn"

KINDS = (SIGNED, WITHDRAWN)


@dataclass(frozen=True)
class Answers:
    """What one record said: its answer per purpose, and the purposes it withdrew."""

    answers: dict[str, str]
    withdrawn: list[str]


def record_clause(role: Role) -> ColumnElement[bool]:
    """SQL for "the viewer, in ``role``, sees this consent record of the child" (as the consent
    page lists them: all for the coach, one's own for anyone else), of :data:`CHILD` and
    :data:`VIEWER`. Raises nothing."""
    own = (
        true()
        if policy.role_allows(role, Action.VIEW_ALL_CONSENT_RECORDS)
        else (ConsentRecord.signer_id == VIEWER)
    )
    return (ConsentRecord.child_id == CHILD) & own


# What each record shows, built once: a request adds only whose records it sees.
_IS_CONSENT = ConsentRecord.kind == RecordKind.CONSENT
_RECORDS = select(
    *event_columns(
        occurred_at=ConsentRecord.signed_at,
        kind=kind_when([(_IS_CONSENT, SIGNED)], WITHDRAWN),
        object_id=ConsentRecord.id,
        subject_id=ConsentRecord.id,
        actor_id=ConsentRecord.signer_id,
        detail=case(
            (_IS_CONSENT, cast(ConsentRecord.answers, Text)),
            else_=cast(ConsentRecord.withdrawn, Text),
        ),
    )
)


def events(role: Role) -> list[Select[Any]]:
    """The selects of the consent records of the child that someone in ``role`` sees, each of
    the timeline's columns; ``detail`` holds what the record said, as JSON (see
    :func:`answers`). Raises nothing."""
    return [_RECORDS.where(record_clause(role))]


SOURCE = Source(events)


def answers(detail: str | None) -> Answers:
    """What a record's event says (its ``detail``: the answers of a consent, the purposes a
    withdrawal withdrew, as JSON); nothing for a detail that is not such JSON."""
    try:
        value = json.loads(detail or "null")
    except ValueError:
        value = None
    if isinstance(value, dict):
        return Answers({str(k): str(v) for k, v in value.items()}, [])
    if isinstance(value, list):
        return Answers({}, [str(v) for v in value])
    return Answers({}, [])
