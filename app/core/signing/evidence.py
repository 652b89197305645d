"""The evidence of a signature: how and from where the signer acted, and the events behind a
record read back from the audit log for a PDF's evidence page (``pdf/_evidence.html``)."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from flask import g, request
from sqlalchemy import column, func, select, table

from app.core.audit import AuditEvent, AuditPersonal
from app.core.db import DbSession
from app.core.signin import SignInMethod

# The accounts table, named without importing the circle's model: only the name is read.
_accounts = table("users", column("id"), column("name"))


@dataclass(frozen=True)
class Evidence:
    """How and from where a signer acted (stored with the record and printed in its PDF)."""

    ip_address: str
    user_agent: str
    sign_in_method: SignInMethod


def evidence_from_request() -> Evidence:
    """The evidence of the current request: address, device, and how this session signed in.
    Raises nothing; outside a server-side session the method reads as a password sign-in."""
    row = g.get("user_session")
    return Evidence(
        ip_address=request.remote_addr or "",
        user_agent=request.user_agent.string or "",
        sign_in_method=row.method if row is not None else SignInMethod.PASSWORD,
    )


@dataclass(frozen=True)
class EvidenceEvent:
    """One line of a PDF's event table: the audit action, when, by whom, from where."""

    what: str
    at: datetime
    who: str
    ip: str
    device: str


def evidence_events(
    session: DbSession,
    record: object,
    *,
    child_id: int | None,
    signer_id: int | None,
    actions: Collection[str],
    about_signer_in_payload: Collection[str] = (),
) -> list[EvidenceEvent]:
    """Every audit event behind ``record``, oldest first, up to the record's own last event.

    Counted are events with one of ``actions`` about the same child and acted by the signer;
    for the actions in ``about_signer_in_payload`` (asking someone to sign, done by another
    person) the event counts when its data names the signer as ``signer_id``. An event whose
    data holds ``opened_at`` is dated then (an opening is written when the signed form comes
    back). Personal details come from the erasable part of the log. Raises nothing beyond
    database errors.
    """
    own = session.scalar(
        select(func.max(AuditEvent.id)).where(
            AuditEvent.object_type == type(record).__name__,
            AuditEvent.object_id == getattr(record, "id", None),
        )
    )
    rows = session.execute(
        select(AuditEvent, AuditPersonal.details)
        .outerjoin(AuditPersonal, AuditPersonal.event_id == AuditEvent.id)
        .where(
            AuditEvent.child_id == child_id,
            AuditEvent.action.in_(list(actions)),
            AuditEvent.id <= (own or 0),
        )
        .order_by(AuditEvent.id)
    ).all()
    names: dict[int | None, str] = {}
    events: list[EvidenceEvent] = []
    for event, details in rows:
        payload = event.payload()
        if event.action in about_signer_in_payload:
            if payload.get("signer_id") != signer_id:
                continue
        elif event.actor_id != signer_id:
            continue
        if event.actor_id not in names:
            actor = (
                session.scalar(select(_accounts.c.name).where(_accounts.c.id == event.actor_id))
                if event.actor_id
                else None
            )
            names[event.actor_id] = actor or ""
        personal = json.loads(details) if details else {}
        at = (
            datetime.fromisoformat(payload["opened_at"])
            if "opened_at" in payload
            else event.created_at
        )
        events.append(
            EvidenceEvent(
                what=event.action,
                at=at,
                who=names[event.actor_id],
                ip=personal.get("ip", ""),
                device=personal.get("user_agent", ""),
            )
        )
    return sorted(events, key=lambda e: e.at)
