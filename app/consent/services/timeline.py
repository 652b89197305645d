"""Consent's events on a child's timeline (``app.core.timeline``): each signed record, a
consent (answers given) or a withdrawal.

Filtered in SQL as the consent page lists records: the coach sees every signer's records
(``Action.VIEW_ALL_CONSENT_RECORDS``), anyone else only their own; the status per purpose,
which everyone in the circle sees, is on the consent page, not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, select, true

from app.circle.policy import Action, Seat
from app.consent.models import ConsentRecord, RecordKind
from app.core.db import DbSession
from app.core.timeline import event_columns

SIGNED = "consent.signed"
WITHDRAWN = "consent.withdrawn"

KINDS = (SIGNED, WITHDRAWN)


@dataclass(frozen=True)
class Answers:
    """What one record said: its answer per purpose, and the purposes it withdrew."""

    answers: dict[str, str]
    withdrawn: list[str]


def record_clause(seat: Seat) -> ColumnElement[bool]:
    """SQL for "``seat`` sees this consent record of its child" (as the consent page lists
    them: all for the coach, one's own for anyone else). Raises nothing."""
    own = (
        true()
        if seat.may(Action.VIEW_ALL_CONSENT_RECORDS)
        else (ConsentRecord.signer_id == seat.user.id)
    )
    return (ConsentRecord.child_id == seat.child.id) & own


def events(seat: Seat) -> list[Select[Any]]:
    """The selects of the consent records of ``seat``'s child that ``seat`` sees, each of the
    timeline's columns. Raises nothing."""
    return [
        select(
            *event_columns(
                occurred_at=ConsentRecord.signed_at,
                kind=kind,
                object_id=ConsentRecord.id,
                subject_id=ConsentRecord.id,
                actor_id=ConsentRecord.signer_id,
            )
        ).where(record_clause(seat), ConsentRecord.kind == record_kind)
        for kind, record_kind in ((SIGNED, RecordKind.CONSENT), (WITHDRAWN, RecordKind.WITHDRAWAL))
    ]


def answers_of(session: DbSession, seat: Seat, record_ids: list[int]) -> dict[int, Answers]:
    """The answers of the records with these ids that ``seat`` sees, by id: what a page of
    the timeline shows of them. One query (none for no id)."""
    if not record_ids:
        return {}
    rows = session.execute(
        select(ConsentRecord.id, ConsentRecord.answers, ConsentRecord.withdrawn).where(
            record_clause(seat), ConsentRecord.id.in_(record_ids)
        )
    )
    return {row.id: Answers(dict(row.answers or {}), list(row.withdrawn or [])) for row in rows}
