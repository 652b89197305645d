"""Issuing is all or nothing; verifying tells a genuine copy from everything else."""

from __future__ import annotations

import json
from datetime import datetime
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask_babel import force_locale
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from sqlalchemy import func, select

from app.core import audit, pdf, seal, storage
from app.core.audit import AuditEvent
from app.core.db import db
from app.documents import services
from app.documents.models import Document, DocumentKind
from tests.support.documents import TEST_TEMPLATE, stored_documents

pytestmark = pytest.mark.usefixtures("app_ctx")

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def document_count() -> int:
    return db.session.scalar(select(func.count(Document.id)))


def issued_bytes(document: Document) -> bytes:
    return storage.path_of(document.storage_key).read_bytes()


def flip_byte_in_content(data: bytes) -> bytes:
    """Change one byte inside the first content stream, which the seal covers."""
    start = data.index(b"stream\n", data.index(b"/Length")) + len(b"stream\n")
    changed = bytearray(data)
    changed[start + 10] ^= 0x01
    return bytes(changed)


# --- issuing ---------------------------------------------------------------------------------


def test_issue_records_document_file_and_audit_event(issue, circle, media_root):
    document = issue()
    row = db.session.get(Document, document.id)
    assert row.kind is DocumentKind.CONSENT
    assert row.school_id == circle.child.school_id and row.child_id == circle.child.id
    assert (row.subject_type, row.subject_id) == ("Child", circle.child.id)
    assert row.issued_by_id == circle.coach.id
    assert row.issued_at.tzinfo is not None
    assert repr(row).startswith(f"<Document {row.id} consent")

    path = storage.path_of(row.storage_key)
    data = path.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) == row.size
    assert services.hashlib.sha256(data).hexdigest() == row.sha256
    # Server-chosen name, outside static/, readable by the server only.
    assert path.is_relative_to(media_root) and "Toestemming" not in path.name
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700

    event = db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "document_issued")
        .order_by(AuditEvent.id.desc())
    )
    assert (event.object_type, event.object_id, event.child_id) == (
        "Document",
        row.id,
        circle.child.id,
    )
    assert json.loads(event.data) == {"kind": "consent", "sha256": row.sha256}
    assert audit.verify(db.session).ok
    assert services.documents_about(db.session, circle.child) == [row]


def test_documents_are_found_by_their_subjects_of_any_model(issue, circle, make_child):
    first, second = issue(), issue()
    about_coach = services.issue_document(
        db.session,
        school=circle.child.school,
        kind=DocumentKind.MEETING_SUMMARY,
        child=None,
        subject=circle.coach,
        title="Verslag",
        template=TEST_TEMPLATE,
        values={"heading": "Verslag", "body": "Verslag"},
        actor=circle.coach,
        reason="Verslag",
    )
    without = make_child("Zonder Documenten")
    found = services.documents_for(db.session, [circle.child, circle.coach, without])
    # Keyed by the rows themselves: no caller names a model as a string.
    assert found == {circle.child: [first, second], circle.coach: [about_coach]}
    assert services.documents_for(db.session, []) == {}
    assert services.subject_type(circle.coach) == about_coach.subject_type == "User"


def test_rollback_removes_the_stored_file(issue, media_root):
    before_files, before_rows = stored_documents(media_root), document_count()
    document = issue(commit=False)
    assert storage.path_of(document.storage_key).exists()
    db.session.rollback()
    assert stored_documents(media_root) == before_files
    assert document_count() == before_rows


def test_closing_the_session_without_commit_removes_the_stored_file(issue, media_root):
    before = stored_documents(media_root)
    issue(commit=False)
    db.session.remove()  # what the request teardown does when a view does not commit
    assert stored_documents(media_root) == before


def test_rolled_back_savepoint_removes_only_its_file(issue, media_root):
    before = stored_documents(media_root)
    kept = issue(commit=False)
    savepoint = db.session.begin_nested()
    dropped = issue(commit=False)
    savepoint.rollback()
    db.session.commit()
    assert storage.path_of(kept.storage_key).exists()
    assert not storage.path_of(dropped.storage_key).exists()
    assert stored_documents(media_root) == before | {Path(kept.storage_key).name}


def test_commit_keeps_the_file(issue):
    document = issue()
    db.session.remove()
    assert storage.path_of(document.storage_key).exists()


def test_failure_after_storing_leaves_no_file_and_no_row(issue, media_root, monkeypatch):
    before_files, before_rows = stored_documents(media_root), document_count()

    def broken(*args, **kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(services.audit, "record", broken)
    with pytest.raises(RuntimeError):
        issue(commit=False)
    db.session.rollback()
    assert stored_documents(media_root) == before_files
    assert document_count() == before_rows


def test_failure_while_sealing_stores_nothing(issue, media_root, monkeypatch):
    before = stored_documents(media_root)

    def broken(*args, **kwargs):
        raise seal.SigningError("no key")

    monkeypatch.setattr(services.seal, "seal_pdf", broken)
    with pytest.raises(seal.SigningError):
        issue(commit=False)
    assert stored_documents(media_root) == before


def test_document_is_printed_in_the_requested_language(circle, media_root, tmp_path):
    from tests.support.documents import pdftotext

    with time_machine.travel(datetime(2027, 3, 14, 10, 0, tzinfo=AMSTERDAM), tick=False):
        document = services.issue_document(
            db.session,
            school=circle.child.school,
            kind=DocumentKind.CONSENT,
            child=circle.child,
            subject=circle.child,
            title="Consent",
            template=TEST_TEMPLATE,
            values={"heading": "Consent", "body": "Body"},
            actor=None,
            reason="Consent",
            language="en",
        )
    text = pdftotext(storage.path_of(document.storage_key).read_bytes(), tmp_path)
    assert "Issued on March 14, 2027 through Beeldbrug" in text


# --- verifying -------------------------------------------------------------------------------


def test_issued_pdf_verifies_with_its_record(issue, circle):
    document = issue()
    result = services.verify_upload(db.session, issued_bytes(document))
    assert result.ok and result.reason is None
    assert result.document.id == document.id
    assert circle.child.school.name in result.signer_subject
    assert result.signed_at is not None and result.sha256 == document.sha256


def test_one_changed_byte_fails(issue):
    result = services.verify_upload(db.session, flip_byte_in_content(issued_bytes(issue())))
    assert not result.ok and result.code == "changed"
    assert english(result.reason) == "This PDF was changed after it was sealed."


def test_changed_signature_fails_with_a_reason(issue):
    data = issued_bytes(issue())
    contents = data.index(b"/Contents <") + len(b"/Contents <")
    for offset in (2, 40, 400):  # the CMS header, the signer's certificate, the signature
        changed = bytearray(data)
        changed[contents + offset] = (
            ord("0") if changed[contents + offset] != ord("0") else ord("1")
        )
        result = services.verify_upload(db.session, bytes(changed))
        assert not result.ok and result.code == "seal_damaged"
        assert "damaged" in english(result.reason)


def test_anything_added_after_sealing_fails(issue):
    data = issued_bytes(issue())
    # A well-formed incremental update, as a PDF editor would save it.
    writer = IncrementalPdfFileWriter(BytesIO(data))
    writer.root["/Lang"] = generic.pdf_string("en")
    writer.update_root()
    updated = BytesIO()
    writer.write(updated)
    for changed in (updated.getvalue(), data + b"trailing bytes"):
        result = services.verify_upload(db.session, changed)
        assert not result.ok and result.code == "added_to"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "not_a_pdf"),
        (b"GIF89a not a pdf at all", "not_a_pdf"),
        (b"\x89PNG\r\n\x1a\n" + bytes(2000), "not_a_pdf"),
        (b"%PDF-1.7\n" + b"garbage " * 200 + b"\n%%EOF\n", "damaged"),
    ],
)
def test_bad_input_gets_a_clear_reason_and_changes_nothing(data, code, media_root):
    before_files, before_rows = stored_documents(media_root), document_count()
    result = services.verify_upload(db.session, data)
    assert not result.ok and result.code == code and english(result.reason)
    assert stored_documents(media_root) == before_files and document_count() == before_rows


def test_truncated_pdf(issue):
    data = issued_bytes(issue())
    result = services.verify_upload(db.session, data[: len(data) // 2])
    assert not result.ok and result.code == "truncated"
    assert "incomplete" in english(result.reason)


def test_pdf_without_seal(circle):
    data = pdf.render_pdf(TEST_TEMPLATE, school_name="X", document_title="Y", heading="H", body="B")
    result = services.verify_upload(db.session, data)
    assert not result.ok and result.code == "no_seal"


def test_validly_sealed_but_never_issued(circle):
    # Sealed with the school's own key, but never recorded (say, a rolled-back issue).
    rendered = pdf.render_pdf(
        TEST_TEMPLATE, school_name="X", document_title="Y", heading="H", body="B"
    )
    sealed = seal.seal_pdf(rendered, circle.child.school, reason="Toestemming")
    assert seal.verify_pdf(sealed, seal.trusted_certificates()).ok
    result = services.verify_upload(db.session, sealed)
    assert not result.ok and result.code == "not_issued"
    assert "no record" in english(result.reason)


def test_verification_is_audited_without_the_file(issue, circle):
    document = issue()
    result = services.verify_upload(db.session, issued_bytes(document))
    services.record_verification(db.session, result, actor=circle.teacher)
    db.session.commit()
    event = db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "document_verified")
        .order_by(AuditEvent.id.desc())
    )
    assert event.actor_id == circle.teacher.id and event.object_id == document.id
    assert json.loads(event.data) == {"ok": True, "reason": None, "sha256": document.sha256}


# --- storage ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "../config.py",
        "/etc/passwd",
        "documents/../../config.py",
        "documents/../x/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.pdf",
        "documents/short.pdf",
        "documents/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "Documents/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.pdf",
        "",
    ],
)
def test_storage_refuses_keys_it_did_not_hand_out(key):
    with pytest.raises(storage.InvalidKeyError):
        storage.path_of(key)


def test_storage_writes_atomically_with_random_names(media_root):
    first = storage.store_bytes(b"een", folder="scratch", suffix=".bin")
    second = storage.store_bytes(b"een", folder="scratch", suffix=".bin")
    assert first.key != second.key and first.sha256 == second.sha256 and first.size == 3
    with storage.open_file(first.key) as f:
        assert f.read() == b"een"
    assert not [p for p in (media_root / "scratch").iterdir() if p.name.startswith(".tmp-")]
    assert storage.delete(first.key) and not storage.delete(first.key)
    storage.delete(second.key)
    with pytest.raises(ValueError):
        storage.store_bytes(b"x", folder="../up", suffix=".bin")
    with pytest.raises(ValueError):
        storage.store_bytes(b"x", folder="scratch", suffix="/x")


def test_media_root_inside_static_is_refused(app):
    with pytest.raises(RuntimeError):
        storage.LocalStorage(Path(app.static_folder) / "media", forbidden=Path(app.static_folder))


def english(message) -> str:
    """A reason as the English original reads (the default language is Dutch)."""
    with force_locale("en"):
        return str(message)
