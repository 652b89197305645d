"""Issuing and verifying documents.

:func:`issue_document` is how every feature hands out a PDF: it renders the print template,
seals the PDF with the school's key, stores the file and records it as a :class:`Document`,
all or nothing. :func:`verify_upload` tells whether a PDF someone has is one Beeldbrug issued,
unchanged. :func:`send_document` hands an issued PDF to a person whose access a view checked.

Services take the acting user explicitly, add and flush, write the audit event, and leave the
commit to the caller.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from app.circle.models import Child, School, User
from app.core import audit, pdf, seal, storage, timestamps
from app.core.db import DbSession, utcnow
from app.core.errors import RefusedError
from app.core.files import is_disk_full
from app.core.i18n import lazy_gettext as _l
from app.core.timestamps import Timestamp
from app.documents.models import Document, DocumentKind

log = logging.getLogger("beeldbrug.documents")

STORAGE_FOLDER = "documents"
log = logging.getLogger("beeldbrug.documents")


class StorageFullError(RefusedError):
    """The document could not be stored: the server's disk is full. Nothing was kept."""

    def __init__(self) -> None:
        super().__init__(
            _l(
                "The school's Beeldbrug server has no room left to store the signed document, "
                "so nothing was saved. Please tell the school and try again later."
            )
        )


#: Why an upload did not pass, beyond what the seal check says (see ``seal.REASONS``).
NOT_ISSUED = _l("This PDF has a valid seal, but Beeldbrug has no record of issuing it.")


def issue_document(
    session: DbSession,
    *,
    school: School,
    kind: DocumentKind,
    child: Child | None,
    subject: Any,
    title: str,
    template: str,
    values: Mapping[str, Any],
    actor: User | None,
    reason: str,
    language: str | None = None,
    media_keys: Iterable[str] = (),
) -> Document:
    """Render, seal, store and record one PDF; returns the flushed :class:`Document`.

    ``subject`` is the record the document is about (a model instance with an ``id``; it is
    flushed first if new). ``template`` is a ``pdf/…`` layout extending ``pdf/base.html``;
    it gets ``values`` plus ``school_name``, ``document_title``, ``issued_at`` and
    ``page_counter`` (a value given in ``values`` wins). ``reason`` goes into the seal, and
    ``language`` (default: the current one) is the language the document is printed in.
    ``media_keys`` are stored files (posters) the caller has authorised for this document;
    the template shows them with ``media_url(key)``, and no other stored file can appear.

    All or nothing: if anything after storing the file fails, the file is deleted before the
    error propagates; if the caller's transaction later rolls back, or the session is closed
    without a commit, the file is deleted then. Raises ValueError for a template outside
    ``pdf/``, storage.InvalidKeyError for a media key storage never handed out,
    ``seal.SigningError`` when the school's key cannot be had, StorageFullError (a
    RefusedError: forms show its sentence) when the disk is full, OSError when the file
    cannot be written otherwise, and database errors from the flush.
    """
    if getattr(subject, "id", None) is None:
        session.flush()
    if getattr(subject, "id", None) is None:
        raise ValueError("the document's subject needs an id")
    issued_at = utcnow()
    context = {
        "school_name": school.name,
        "document_title": str(title),
        "issued_at": issued_at,
        **values,
    }
    with pdf.print_context(language):
        rendered = pdf.render_pdf(template, media_keys=media_keys, **context)
    sealed = seal.seal_pdf(rendered, school, reason=str(reason), location=school.city)

    try:
        stored = storage.store_bytes(sealed, folder=STORAGE_FOLDER, suffix=".pdf")
    except OSError as error:  # the atomic write left nothing behind
        if not is_disk_full(error):
            raise
        log.error("a %s document could not be stored: the disk is full", kind)
        raise StorageFullError() from error
    try:
        storage.delete_on_rollback(session, stored.key)
        document = Document(
            school_id=school.id,
            kind=DocumentKind(kind),
            child_id=child.id if child is not None else None,
            subject_type=subject_type(subject),
            subject_id=subject.id,
            title=str(title)[:160],
            sha256=stored.sha256,
            size=stored.size,
            storage_key=stored.key,
            issued_at=issued_at,
            issued_by_id=actor.id if actor is not None else None,
        )
        session.add(document)
        session.flush()
        audit.record(
            session,
            "document_issued",
            actor=actor,
            child=child,
            obj=document,
            data={"kind": document.kind.value, "sha256": document.sha256},
        )
    except BaseException:
        storage.forget_pending(session, stored.key)
        storage.delete(stored.key)
        raise
    return document


def subject_type(subject: Any) -> str:
    """What a :class:`Document` records as the kind of its subject: the model's class name.
    The one place that name is made, so no caller spells a model's name as a string."""
    return type(subject).__name__


def documents_for(session: DbSession, subjects: Iterable[Any]) -> dict[Any, list[Document]]:
    """The documents issued about each of ``subjects`` (model instances with an ``id``, of
    one model or several), keyed by the subject itself, each list oldest first; a subject
    without a document is left out. One query per model. Raises nothing beyond database
    errors."""
    by_type: dict[str, dict[int, Any]] = defaultdict(dict)
    for subject in subjects:
        by_type[subject_type(subject)][subject.id] = subject
    found: dict[Any, list[Document]] = {}
    for type_name, by_id in by_type.items():
        rows = session.scalars(
            select(Document)
            .where(Document.subject_type == type_name, Document.subject_id.in_(list(by_id)))
            .order_by(Document.issued_at, Document.id)
        )
        for document in rows:
            found.setdefault(by_id[document.subject_id], []).append(document)
    return found


def documents_about(session: DbSession, subject: Any) -> list[Document]:
    """The documents issued about ``subject`` (a model instance), oldest first. Raises
    nothing beyond database errors."""
    return documents_for(session, [subject]).get(subject, [])


@dataclass(frozen=True)
class VerificationResult:
    """Whether a PDF is one Beeldbrug issued, unchanged; and if so, which document it is.

    ``code`` is a short language-neutral reason (for logs and audit data); ``reason`` is the
    sentence to show a person.
    """

    ok: bool
    code: str | None
    document: Document | None = None
    signer_subject: str | None = None
    signed_at: datetime | None = None
    sha256: str | None = None
    #: The trusted time in the seal and its authority, when it carries a timestamp.
    timestamp: Timestamp | None = None

    @property
    def reason(self) -> Any:
        """The translated (lazy) sentence for ``code``, or None when ``ok``."""
        if self.code is None:
            return None
        if self.code == "not_issued":
            return NOT_ISSUED
        return seal.REASONS[self.code]


def verify_upload(session: DbSession, data: bytes) -> VerificationResult:
    """Check that ``data`` is a PDF that Beeldbrug issued and that nobody changed since.

    The seal must validate (intact, trusted, covering the whole file) against the certificates
    this installation seals with, and the file's SHA-256 must belong to an issued document.
    Never raises for bad input; the result says why it did not pass. Changes nothing.
    """
    digest = hashlib.sha256(data).hexdigest()
    check = seal.verify_pdf(data, seal.trusted_certificates(), _timestamp_roots())
    found = VerificationResult(
        False,
        check.code,
        signer_subject=check.signer_subject,
        signed_at=check.signed_at,
        sha256=digest,
        timestamp=check.timestamp,
    )
    if not check.ok:
        return found
    document: Document | None = session.scalar(select(Document).where(Document.sha256 == digest))
    if document is None:
        return replace(found, code="not_issued")
    return replace(found, ok=True, code=None, document=document)


def _timestamp_roots() -> list[Any]:
    # An unreadable authority file is the operator's to mend; a timestamp then stays
    # unconfirmed (and the seal with it) rather than the check failing.
    try:
        return timestamps.authority_roots()
    except timestamps.TimestampConfigError:
        log.exception("the time-stamping authority's certificates cannot be read")
        return []


def record_verification(
    session: DbSession, result: VerificationResult, *, actor: User | None
) -> None:
    """Write the audit event of one verification (its outcome, never the file)."""
    document = result.document
    audit.record(
        session,
        "document_verified",
        actor=actor,
        child=document.child_id if document is not None else None,
        obj=document,
        data={"ok": result.ok, "reason": result.code, "sha256": result.sha256},
    )


def download_name(document: Document) -> str:
    """A safe file name for ``document``: its title in plain ASCII and the issue date."""
    plain = unicodedata.normalize("NFKD", document.title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:60].rstrip("-") or "document"
    return f"{slug}-{document.issued_at:%Y-%m-%d}.pdf"


def send_document(document: Document) -> WerkzeugResponse:
    """Send an issued PDF as a download; the caller (a view) has already checked access.

    Range and conditional requests are answered, and behind nginx the bytes are handed to it
    (see ``storage.send_stored``). Needs a request context. Raises storage.InvalidKeyError for
    a tampered storage key and FileNotFoundError when the file is missing (both end as a
    logged 500).
    """
    return storage.send_stored(
        document.storage_key,
        mimetype="application/pdf",
        download_name=download_name(document),
        as_attachment=True,
        etag=document.sha256,
    )
