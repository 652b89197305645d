"""The consent PDF: what it shows, its evidence page, and issuing it sealed."""

from __future__ import annotations

from typing import Any

from flask_babel import force_locale

from app.circle.models import Child, User
from app.consent.models import PURPOSES, ConsentRecord, RecordKind
from app.consent.services.texts import text_in
from app.core.db import DbSession
from app.core.i18n import gettext as _
from app.core.signing import EvidenceEvent, evidence_events, png_data_uri
from app.documents.models import Document, DocumentKind
from app.documents.services import documents_for, issue_document

#: The audit actions a consent PDF's evidence page lists.
EVIDENCE_ACTIONS = ("consent_requested", "consent_opened", "consent_signed", "consent_withdrawn")


def consent_evidence(session: DbSession, record: ConsentRecord) -> list[EvidenceEvent]:
    """Every event behind a record, oldest first: asked, earlier records, opened, signed."""
    return evidence_events(
        session,
        record,
        child_id=record.child_id,
        signer_id=record.signer_id,
        actions=EVIDENCE_ACTIONS,
        about_signer_in_payload=("consent_requested",),
    )


def pdf_values(session: DbSession, record: ConsentRecord) -> dict[str, Any]:
    """What ``pdf/consent.html`` shows for a record."""
    return {
        "record": record,
        "child": session.get(Child, record.child_id),
        "text": text_in(record.template, record.language),
        "purposes": PURPOSES,
        "evidence": consent_evidence(session, record),
        "signer": record.signer,
        "signature_data_uri": png_data_uri(record.signature_png),
    }


def pdf_title(record: ConsentRecord) -> str:
    """The document's title, in the record's language."""
    with force_locale(record.language):
        if record.kind is RecordKind.CONSENT:
            return _("Consent for video recordings")
        return _("Withdrawal of consent")


def issue_pdf(session: DbSession, record: ConsentRecord, *, actor: User | None) -> Document:
    """Render, seal, store and record the PDF of a consent record (in the signer's language).

    Raises what ``documents.services.issue_document`` raises; the caller's transaction then
    rolls back with the record, so no record exists without its document.
    """
    values = pdf_values(session, record)
    child = values["child"]
    with force_locale(record.language):
        reason = _("Signed consent, sealed by the school")
    return issue_document(
        session,
        school=child.school,
        kind=DocumentKind.CONSENT,
        child=child,
        subject=record,
        title=pdf_title(record),
        template="pdf/consent.html",
        values=values,
        actor=actor,
        reason=reason,
        language=record.language,
    )


def documents_of(session: DbSession, records: list[ConsentRecord]) -> dict[int, Document]:
    """The issued PDF of each of ``records``, by record id (the newest, should there be more).
    Raises nothing beyond database errors."""
    return {record.id: issued[-1] for record, issued in documents_for(session, records).items()}
