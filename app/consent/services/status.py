"""Who decides about a child's consent, and what their latest answers mean now.

:func:`allows` is the one question other features ask (also importable as
``app.consent.services.allows``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from itertools import chain
from typing import Any

from flask import g, has_request_context
from sqlalchemy import and_, bindparam, event, func, select
from sqlalchemy.orm import Session

from app.circle.consent_age import deciding_role
from app.circle.models import Child, Membership, Role, User
from app.circle.policy import Action, Seat, active_membership_clause, members_with
from app.consent import rules
from app.consent.models import (
    PURPOSES,
    Answer,
    ConsentRecord,
    ConsentTemplate,
    Purpose,
    SignerRole,
)
from app.consent.rules import ConsentStatus
from app.core.clock import local_date
from app.core.db import DbSession, db, rows, utcnow


def signer_role_for(child: Child, on: date | None = None) -> SignerRole:
    """Who decides for ``child`` on ``on`` (default: today): the guardians or the pupil."""
    return rules.signer_role_for(child.date_of_birth, on or local_date())


def signers(session: DbSession, child: Child, at: datetime | None = None) -> list[User]:
    """The people who decide about consent at ``at`` (default: now): the parents in the
    circle, or from the consent age on the pupil. Raises nothing beyond database errors."""
    at = at or utcnow()
    return list(session.scalars(members_with(child, deciding_role(child, local_date(at)), at)))


def _history(
    session: DbSession, child: Child, signer_ids: Iterable[int], at: datetime | None
) -> list[ConsentRecord]:
    ids = list(signer_ids)
    if not ids:
        return []
    stmt = (
        select(ConsentRecord)
        .where(ConsentRecord.child_id == child.id, ConsentRecord.signer_id.in_(ids))
        .order_by(ConsentRecord.signed_at, ConsentRecord.id)
    )
    if at is not None:
        stmt = stmt.where(ConsentRecord.signed_at <= at)
    return list(session.scalars(stmt))


def latest_records(
    session: DbSession, child: Child, signer_ids: Iterable[int], at: datetime | None = None
) -> dict[int, ConsentRecord]:
    """Each signer's newest record for ``child`` signed at or before ``at`` (default: any).
    Raises nothing beyond database errors."""
    return {r.signer_id: r for r in _history(session, child, signer_ids, at)}  # type: ignore[misc]


def status(session: DbSession, child: Child, at: datetime | None = None) -> ConsentStatus:
    """The status of every purpose for ``child`` at ``at`` (default: now). Raises nothing
    beyond database errors.

    One query: the current signers (in name order, as :func:`signers`) with every record each
    signed up to ``at``, in signing order. It is asked on every range request of a playing
    video, so it stays one query and reads only the columns the rules read, as plain values
    (``ConsentStatus.latest`` holds :class:`rules.Signed`, not records). The status now is
    remembered for the rest of the request (a page asks it for every source and role) until a
    record or a membership changes in the session (see :func:`_remembered`).
    """
    if at is None:
        remembered = _remembered(session)
        if remembered is not None and child.id in remembered:
            return remembered[child.id]
    current = _status(session, child, at)
    if at is None and remembered is not None:
        remembered[child.id] = current
    return current


#: Changes to these end what a request remembered of consent.
_DECIDING = (ConsentRecord, Membership)
_MEMO = "consent_status_now"


def _remembered(session: DbSession) -> dict[int, ConsentStatus] | None:
    """The statuses this request worked out, by child id; None outside a request or while the
    session holds an unflushed change to a record or a membership (it forgets them then)."""
    if not has_request_context():
        return None
    changing = chain(session.new, session.dirty, session.deleted)
    if any(isinstance(obj, _DECIDING) for obj in changing):
        g.pop(_MEMO, None)
        return None
    memo: dict[int, ConsentStatus] = g.setdefault(_MEMO, {})
    return memo


@event.listens_for(Session, "after_flush")
def _forget_after_change(session: Session, context: Any) -> None:
    changed = chain(session.new, session.dirty, session.deleted)
    if has_request_context() and any(isinstance(obj, _DECIDING) for obj in changed):
        g.pop(_MEMO, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, previous_transaction: Any) -> None:
    # What a rolled-back transaction flushed may be in what was remembered.
    if has_request_context():
        g.pop(_MEMO, None)


def _status(session: DbSession, child: Child, at: datetime | None) -> ConsentStatus:
    at_time = at or utcnow()
    signer_role = signer_role_for(child, local_date(at_time))
    role = Role.PUPIL if signer_role is SignerRole.PUPIL else Role.PARENT
    params = {"child_id": child.id, "role": role, "at": at_time}
    found = rows(session, _status_statement(dated=at is not None), params)
    ids = list(dict.fromkeys(row.user_id for row in found))
    history = [rules.Signed.of(row) for row in found if row.id is not None]
    return rules.combine(
        signer_role,
        ids,
        {r.signer_id: r for r in history if r.signer_id is not None},
        rules.withdrawn_since_consent(history),
    )


#: What the status reads of a record (``rules.Signed``); the text, signature and evidence
#: stay in the database.
_SIGNED_COLUMNS = (
    ConsentRecord.id,
    ConsentRecord.signer_id,
    ConsentRecord.kind,
    ConsentRecord.answers,
    ConsentRecord.withdrawn,
    ConsentRecord.signed_at,
    ConsentRecord.template_id,
)


@lru_cache(maxsize=2)
def _status_statement(*, dated: bool) -> Any:
    """The status query with the child, the signers' role and the moment as parameters: built
    once, as it is asked on every page of a child and every range request of a video, and
    building it costs more than running it. ``dated``: only records signed up to the moment."""
    child_id: Any = bindparam("child_id")
    at: Any = bindparam("at")
    joined = [ConsentRecord.child_id == child_id, ConsentRecord.signer_id == Membership.user_id]
    if dated:
        joined.append(ConsentRecord.signed_at <= at)
    return (
        select(Membership.user_id, *_SIGNED_COLUMNS)
        .join(User, User.id == Membership.user_id)
        .outerjoin(ConsentRecord, and_(*joined))
        .where(Membership.child_id == child_id, Membership.role == bindparam("role"))
        .where(active_membership_clause(at))
        .order_by(User.name, User.id, ConsentRecord.signed_at, ConsentRecord.id)
    )


def retention_months(session: DbSession, current: ConsentStatus) -> int | None:
    """How many months footage may be kept after the trajectory under ``current``: the
    retention term of the texts the signers who grant keeping it signed (the shortest, when
    they signed different versions); None while keeping it is not granted. One query when
    granted. Raises nothing beyond database errors."""
    granted = current.purposes[Purpose.RETENTION]
    if not granted.granted:
        return None
    texts = {current.latest[signer_id].template_id for signer_id in granted.yes}
    return session.scalar(
        select(func.min(ConsentTemplate.retention_months)).where(ConsentTemplate.id.in_(texts))
    )


def allows(child: Child, purpose: Purpose, at: datetime | None = None) -> bool:
    """Is ``purpose`` granted for ``child`` at ``at`` (default: now)? Silence is no.

    The one question every other feature asks before it records, shows or keeps footage.
    Raises nothing beyond database errors.
    """
    return status(db.session, child, at).allows(purpose)


def withdrawable(session: DbSession, child: Child, signer: User) -> list[Purpose]:
    """The purposes ``signer``'s latest record grants for ``child``: what they can withdraw.
    Raises nothing beyond database errors."""
    latest = latest_records(session, child, [signer.id]).get(signer.id)
    return [p for p in PURPOSES if latest is not None and latest.answer(p) is Answer.YES]


def records_of(session: DbSession, child: Child, signer: User | None = None) -> list[ConsentRecord]:
    """The child's records, newest first; only ``signer``'s when given. Raises nothing beyond
    database errors."""
    stmt = select(ConsentRecord).where(ConsentRecord.child_id == child.id)
    if signer is not None:
        stmt = stmt.where(ConsentRecord.signer_id == signer.id)
    return list(
        session.scalars(stmt.order_by(ConsentRecord.signed_at.desc(), ConsentRecord.id.desc()))
    )


def visible_records(session: DbSession, seat: Seat) -> list[ConsentRecord]:
    """The consent records of ``seat``'s child that ``seat`` may read, newest first: every
    signer's for a role that may see them all (the coach), else only the seat's own. The one
    rule the consent page, the record's PDF and a child's export share. Raises nothing beyond
    database errors."""
    everyone = seat.may(Action.VIEW_ALL_CONSENT_RECORDS)
    return records_of(session, seat.child, None if everyone else seat.user)
