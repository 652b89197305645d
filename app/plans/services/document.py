"""The sealed PDFs of a version sent to the parents: rendered (app.core.pdf), sealed
(app.core.seal) and recorded (app.documents.services), each in the transaction of what it
records, so no sent version and no answer exists without its document.

The first is issued when the version is sent. Each answer on the action part issues the next:
the same version with every answer so far (who, as guardian or pupil, agrees or declines with
the reason, the drawn or typed signature, when) and an evidence page per signature with the
version's SHA-256, naming the PDF it replaces. The newest is the version's PDF. Every PDF
prints the parts as they were sent (the snapshot: the parents' views as they were then),
never the links to where items came from, and the snapshot's SHA-256.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from app.circle.models import Child, User
from app.core.db import DbSession
from app.core.i18n import gettext as _
from app.core.signing import EvidenceEvent, evidence_events, png_data_uri
from app.documents.models import Document, DocumentKind
from app.documents.services import documents_for, issue_document
from app.plans.models import Part, PlanAnswer, PlanVersion
from app.plans.services import snapshot
from app.plans.services.answerers import answerers

#: The audit actions an answer's evidence page lists.
EVIDENCE_ACTIONS = ("plan_answer_requested", "plan_answer_opened", "plan_answered")


def document_of(session: DbSession, version: PlanVersion) -> Document | None:
    """The newest sealed PDF issued for ``version`` (None for a draft)."""
    issued = documents_for(session, [version]).get(version, [])
    return issued[-1] if issued else None


@dataclass(frozen=True)
class PrintedItem:
    """One item of a part as it was sent: its text, target date and who does it."""

    text: str
    target_on: date | None
    who: str


def _items(sent: dict[str, Any], part: Part) -> list[PrintedItem]:
    return [
        PrintedItem(
            item["text"],
            date.fromisoformat(item["target_on"]) if item["target_on"] else None,
            item["who"],
        )
        for item in sent["items"]
        if item["part"] == part.value
    ]


@dataclass(frozen=True)
class PrintedAnswer:
    """One signed answer as the PDF prints it: the record, its drawn signature as a
    ``data:`` URL (None for a typed one), and the events behind it."""

    record: PlanAnswer
    signature_data_uri: str | None
    events: list[EvidenceEvent]


def answer_evidence(
    session: DbSession, version: PlanVersion, record: PlanAnswer
) -> list[EvidenceEvent]:
    """The events behind ``record``, oldest first: asked by mail when ``version`` was sent,
    the form opened, answered. Events about earlier versions are left out (they all lie
    before this one was sent)."""
    events = evidence_events(
        session,
        record,
        child_id=record.child_id,
        signer_id=record.signer_id,
        actions=EVIDENCE_ACTIONS,
        about_signer_in_payload=("plan_answer_requested",),
    )
    sent = version.published_at
    return [event for event in events if sent is None or event.at >= sent]


def pdf_values(session: DbSession, version: PlanVersion, child: Child) -> dict[str, Any]:
    """What ``pdf/support_plan.html`` shows for the sent ``version``: the parts as sent,
    every answer so far with its evidence, who has not answered yet, and the PDF this one
    replaces. Raises ValueError for a draft (it has no snapshot)."""
    sent = snapshot.load(version)
    if sent is None:
        raise ValueError("only a sent version is printed")
    records = list(
        session.scalars(
            select(PlanAnswer)
            .where(PlanAnswer.plan_version_id == version.id)
            .order_by(PlanAnswer.signed_at, PlanAnswer.id)
        )
    )
    answered = {record.signer_id for record in records}
    return {
        "version": version,
        "child": child,
        "parts": [(part, _items(sent, part)) for part in Part],
        "views": sent["parents_views"],
        "answers": [
            PrintedAnswer(
                record,
                png_data_uri(record.signature_png),
                answer_evidence(session, version, record),
            )
            for record in records
        ],
        "pending": [p for p in answerers(session, child) if p.id not in answered],
        "replaced": document_of(session, version),
    }


def print_language() -> str:
    """The language plan PDFs are printed in: the school's (the portal's default)."""
    return str(current_app.config.get("DEFAULT_LANGUAGE", "nl"))


def issue_pdf(session: DbSession, version: PlanVersion, child: Child, *, actor: User) -> Document:
    """Render, seal, store and record the PDF of the sent ``version`` as it stands now: when
    it is sent, and again after each answer (then naming the PDF it replaces). Raises
    ValueError for a draft, and what ``documents.services.issue_document`` raises; the
    caller's transaction then rolls back, so nothing is sent or answered without its PDF."""
    language = print_language()
    values = pdf_values(session, version, child)
    with force_locale(language):
        if values["answers"]:
            title = _("Support plan, version %(number)d, with the answers", number=version.version)
            reason = _("Support plan with the answers on its action part, sealed by the school")
        else:
            title = _("Support plan, version %(number)d", number=version.version)
            reason = _("Support plan sent to the parents, sealed by the school")
    return issue_document(
        session,
        school=child.school,
        kind=DocumentKind.SUPPORT_PLAN,
        child=child,
        subject=version,
        title=title,
        template="pdf/support_plan.html",
        values=values,
        actor=actor,
        reason=reason,
        language=language,
    )
