"""The parents' agreement with the action part of a sent version (instemmingsrecht): each
guardian answers for themself, and from 16 the pupil too, with a typed name and a drawn or
typed signature (app.core.signing), or declines with a reason. The evidence holds the
version's SHA-256. Only the version in force is answered: one superseded while a parent was
reading cannot be signed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.circle import policy
from app.circle.models import Child, Role, User
from app.circle.policy import Seat
from app.core import audit
from app.core.db import DbSession
from app.core.errors import ForbiddenError, RefusedError
from app.core.i18n import lazy_gettext as _l
from app.core.signing import Evidence, OpenedForm, Signature, signed_fields, store_once
from app.plans.models import PlanAnswer, PlanVersion, SignerRole
from app.plans.services import document, drafts
from app.plans.services.answerers import answerers

#: The kind of signing form (its own token salt).
ANSWER_FORM = "plan-answer"
SUPERSEDED = _l(
    "A newer version of the plan was sent while you were reading. Read that version and "
    "answer on it; nothing was saved."
)
ALREADY = _l("You have already answered on this version of the plan.")
REASON_MAX = 4000


@dataclass(frozen=True)
class AnswerData:
    agrees: bool
    reason: str
    typed_name: str
    signature: Signature


def shown_text(version: PlanVersion) -> str:
    """The canonical description of what an answer is given on (its SHA-256 is stored)."""
    return (
        f"Support plan of child {version.child_id}, version {version.version} "
        f"(#{version.id}), snapshot SHA-256 {version.sha256}: action part answered by the signer."
    )


def answer_of(session: DbSession, version: PlanVersion, user: User) -> PlanAnswer | None:
    """``user``'s answer on ``version``, or None."""
    return session.scalar(
        select(PlanAnswer).where(
            PlanAnswer.plan_version_id == version.id, PlanAnswer.signer_id == user.id
        )
    )


def answer(
    session: DbSession,
    seat: Seat,
    version: PlanVersion,
    data: AnswerData,
    *,
    opened: OpenedForm,
    evidence: Evidence,
) -> PlanAnswer:
    """Store ``seat``'s signed answer on the action part of ``version`` and issue the
    version's PDF anew with every answer so far (``document.issue_pdf``), in the same
    transaction.

    Raises ForbiddenError for anyone who does not answer (``policy.answers_plan``);
    RefusedError for a version that is not the one in force (a draft, or superseded), a
    second answer, a decline without a reason or too long a reason (field ``reason``), an
    empty typed name, a full disk (``StorageFullError``); AlreadyStoredError for a double
    submit; what issuing the PDF raises otherwise. Nothing is stored then (the caller rolls
    back)."""
    if not policy.answers_plan(seat):
        policy.log_denied("may_not_answer_plan", seat.child.id)
        raise ForbiddenError("may_not_answer_plan")
    current = drafts.in_force(session, seat)
    if current is None or current.id != version.id or version.sha256 is None:
        raise RefusedError(SUPERSEDED)
    if answer_of(session, version, seat.user) is not None:
        raise RefusedError(ALREADY)
    reason = data.reason.strip()
    if not data.agrees and not reason:
        raise RefusedError(_l("Write why you do not agree."), field="reason")
    if len(reason) > REASON_MAX:
        raise RefusedError(_l("Use at most %(max)d characters.", max=REASON_MAX), field="reason")
    record = PlanAnswer(
        plan_version_id=version.id,
        child_id=seat.child.id,
        version_sha256=version.sha256,
        signer_role=SignerRole.PUPIL if seat.role is Role.PUPIL else SignerRole.GUARDIAN,
        agrees=data.agrees,
        reason=reason if not data.agrees else "",
        **signed_fields(
            seat.user,
            shown=shown_text(version),
            typed_name=data.typed_name,
            signature=data.signature,
            opened=opened,
            evidence=evidence,
        ),
    )
    store_once(session, record, message=ALREADY)
    # Two events, as consent writes them: the opening (dated when the form was opened) and
    # the answer itself; the PDF's evidence page lists both.
    audit.record(
        session,
        "plan_answer_opened",
        actor=seat.user,
        child=seat.child,
        obj=record,
        data={"version": version.version, "opened_at": opened.opened_at.isoformat()},
    )
    audit.record(
        session,
        "plan_answered",
        actor=seat.user,
        child=seat.child,
        obj=record,
        data={
            "version": version.version,
            "sha256": version.sha256,
            "agrees": data.agrees,
            "signature": record.signature_method.value,
        },
    )
    document.issue_pdf(session, version, seat.child, actor=seat.user)
    return record


@dataclass(frozen=True)
class AnswerState:
    """How one person who answers stands with the version in force."""

    person: User
    record: PlanAnswer | None


def states(session: DbSession, version: PlanVersion) -> list[AnswerState]:
    """Each guardian in the circle (and from 16 the pupil) with their answer on ``version``,
    if any, by name: what the circle sees. Two queries and the child."""
    child = session.get(Child, version.child_id)
    assert child is not None
    records = {
        r.signer_id: r
        for r in session.scalars(select(PlanAnswer).where(PlanAnswer.plan_version_id == version.id))
    }
    return [AnswerState(person, records.get(person.id)) for person in answerers(session, child)]
