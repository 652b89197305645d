"""The append-only audit log, kept as a hash chain.

Every event stores the hash of the event before it; ``flask audit-verify`` walks the chain and
names the first broken link. One row, ``audit_chain``, holds the head (length and last hash) and
is updated in the same transaction as each append, so deleting the newest event is noticed too,
and so appends are serialised (a row lock on PostgreSQL, the write lock on SQLite).

Personal details of an event (IP address, device, an e-mail address typed at sign-in, a
guardian's answers) live in ``audit_personal``; the chain covers only their digest, so erasing
a person or a child (:func:`erase_personal_about_child`) keeps the chain valid. ``data``, the
chained part, holds ids, states and hashes only: never a name, a typed text or an answer.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from flask import has_request_context, request
from sqlalchemy import (
    Connection,
    ForeignKey,
    Integer,
    String,
    Text,
    column,
    delete,
    insert,
    select,
    table,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, DbSession, UTCDateTime, utcnow

log = logging.getLogger("beeldbrug.audit")
GENESIS = "0" * 64


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Plain integers, not foreign keys: the log outlives the people and children it mentions.
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    child_id: Mapped[int | None] = mapped_column(Integer, index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(Text, default="{}")
    personal_digest: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action} actor={self.actor_id} child={self.child_id}>"

    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = json.loads(self.data or "{}")
        return payload


class AuditPersonal(Base):
    """Erasable personal details of one audit event."""

    __tablename__ = "audit_personal"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("audit_events.id", ondelete="CASCADE"), primary_key=True
    )
    details: Mapped[str] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<AuditPersonal {self.event_id}>"


class AuditChain(Base):
    """The single head of the chain: how many events there are and the hash of the last."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(primary_key=True)
    length: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS)

    def __repr__(self) -> str:
        return f"<AuditChain length={self.length}>"


def canonical(value: Any) -> str:
    """The canonical JSON text of ``value`` (sorted keys, no spaces): what the chain hashes."""
    return _canonical(value)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def event_hash(event: AuditEvent) -> str:
    """The hash of an event: its fields and the previous hash, canonically serialised."""
    return link_hash(
        event.prev_hash,
        event.created_at,
        event.actor_id,
        event.action,
        event.child_id,
        event.object_type,
        event.object_id,
        event.data,
        event.personal_digest,
    )


def link_hash(
    prev_hash: str,
    created_at: datetime,
    actor_id: int | None,
    action: str,
    child_id: int | None,
    object_type: str | None,
    object_id: int | None,
    data: str,
    personal_digest: str | None,
) -> str:
    """The hash of one link of the chain from its fields (a migration appends without the ORM)."""
    return _digest(
        _canonical(
            [
                prev_hash,
                created_at.isoformat(timespec="microseconds"),
                actor_id,
                action,
                child_id,
                object_type,
                object_id,
                data,
                personal_digest,
            ]
        )
    )


class Identified(Protocol):
    """A row with an id: the actor (the circle's ``User``), a child, the object acted on."""

    @property
    def id(self) -> int: ...


def _request_details() -> dict[str, str]:
    if not has_request_context():
        return {}
    return {
        "ip": request.remote_addr or "",
        "user_agent": (request.user_agent.string or "")[:300],
    }


def record(
    session: DbSession,
    action: str,
    *,
    actor: Identified | int | None = None,
    child: Identified | int | None = None,
    obj: Identified | int | None = None,
    data: dict[str, Any] | None = None,
    personal: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain in ``session``'s transaction (it commits with the caller).

    ``actor``, ``child`` and ``obj`` may be model instances or ids; ``data`` must hold nothing
    personal; ``personal`` (with the request's IP and user agent added) goes to the erasable
    table. Raises nothing of its own; a database error rolls back the caller's work too.
    """
    head = session.scalars(select(AuditChain).where(AuditChain.id == 1).with_for_update()).first()
    if head is None:
        head = AuditChain(id=1, length=0, last_hash=GENESIS)
        session.add(head)
        session.flush()

    details = {**_request_details(), **(personal or {})}
    details_text = _canonical(details) if details else None
    event = AuditEvent(
        created_at=utcnow(),
        actor_id=_id_of(actor),
        action=action,
        child_id=_id_of(child),
        object_type=type(obj).__name__ if obj is not None and not isinstance(obj, int) else None,
        object_id=_id_of(obj),
        data=_canonical(data or {}),
        personal_digest=_digest(details_text) if details_text else None,
        prev_hash=head.last_hash,
    )
    event.hash = event_hash(event)
    session.add(event)
    session.flush()
    if details_text:
        session.add(AuditPersonal(event_id=event.id, details=details_text))
    head.length += 1
    head.last_hash = event.hash
    log.info(
        "audit %s actor=%s child=%s object=%s:%s",
        action,
        event.actor_id,
        event.child_id,
        event.object_type,
        event.object_id,
    )
    return event


def _id_of(value: Identified | int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, int):
        return value
    return value.id


def erase_personal_about_child(session: DbSession, child_id: int) -> int:
    """Erase the personal details of every event about child ``child_id`` (their IP
    addresses, devices, e-mail addresses, answers): the events stay, and the chain still
    verifies, since it covers only the details' digest. Returns how many were erased."""
    about = select(AuditEvent.id).where(AuditEvent.child_id == child_id)
    result = session.execute(delete(AuditPersonal).where(AuditPersonal.event_id.in_(about)))
    return int(getattr(result, "rowcount", 0) or 0)


def erase_personal_of_actor(session: DbSession, actor_id: int) -> int:
    """Erase the personal details of every event account ``actor_id`` acted in (an account
    being erased): the events stay, the chain still verifies. Returns how many."""
    by = select(AuditEvent.id).where(AuditEvent.actor_id == actor_id)
    result = session.execute(delete(AuditPersonal).where(AuditPersonal.event_id.in_(by)))
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    problem: str | None = None
    event_id: int | None = None


def verify(session: DbSession) -> ChainReport:
    """Walk the chain in order; report the first event whose link or content is broken."""
    prev = GENESIS
    checked = 0
    for event, personal in _walk(session):
        if event.prev_hash != prev:
            return ChainReport(False, checked, "link to the previous event is broken", event.id)
        if event_hash(event) != event.hash:
            return ChainReport(False, checked, "event content was changed", event.id)
        if personal is not None and _digest(personal) != event.personal_digest:
            return ChainReport(False, checked, "personal details were changed", event.id)
        prev = event.hash
        checked += 1
    head = session.get(AuditChain, 1)
    length, last = (head.length, head.last_hash) if head else (0, GENESIS)
    if checked != length or prev != last:
        return ChainReport(
            False, checked, f"the chain head records {length} events; found {checked}", None
        )
    return ChainReport(True, checked)


def _walk(session: DbSession) -> Iterator[tuple[AuditEvent, str | None]]:
    stmt = (
        select(AuditEvent, AuditPersonal.details)
        .outerjoin(AuditPersonal, AuditPersonal.event_id == AuditEvent.id)
        .order_by(AuditEvent.id)
        .execution_options(yield_per=1000)
    )
    for event, details in session.execute(stmt):  # noqa: UP028 - rows are unpacked on purpose
        yield event, details


def append_without_orm(conn: Connection, action: str, data: dict[str, Any]) -> str:
    """Append one event with no actor, child or personal details through ``conn``, in plain
    SQL: for a data migration, which must not depend on the models of the day. Returns the
    new event's hash."""
    events = table(
        "audit_events",
        *(column(c) for c in ("id", "created_at", "actor_id", "action", "child_id")),
        *(column(c) for c in ("object_type", "object_id", "data", "personal_digest")),
        column("prev_hash"),
        column("hash"),
    )
    chain = table("audit_chain", column("id"), column("length"), column("last_hash"))
    head = conn.execute(
        select(chain.c.length, chain.c.last_hash).where(chain.c.id == 1).with_for_update()
    ).first()
    if head is None:
        conn.execute(insert(chain).values(id=1, length=0, last_hash=GENESIS))
        length, last = 0, GENESIS
    else:
        length, last = head.length, head.last_hash
    at = utcnow()
    text = _canonical(data)
    digest = link_hash(last, at, None, action, None, None, None, text, None)
    conn.execute(
        insert(events).values(created_at=at, action=action, data=text, prev_hash=last, hash=digest)
    )
    conn.execute(update(chain).where(chain.c.id == 1).values(length=length + 1, last_hash=digest))
    return digest
