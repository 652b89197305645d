"""The verification page, the ``verify-pdf`` command and sending an issued document."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.core import storage
from app.core.audit import AuditEvent
from app.core.db import db
from app.documents.forms import MAX_VERIFY_BYTES
from app.documents.models import Document
from app.documents.services import download_name, send_document


def document_count() -> int:
    return db.session.scalar(select(func.count(Document.id)))


def upload(client, data: bytes, name: str = "document.pdf"):
    # In English (?lang=en): the verdicts below are read in that language.
    return client.post(
        "/documents/verify?lang=en",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


@pytest.fixture
def issued(app, issue) -> tuple[Document, bytes]:
    # Issued inside a context of its own: a request context held open for the whole test
    # would lend its language to the client's requests.
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        document = issue()
        return document, storage.path_of(document.storage_key).read_bytes()


def verification_count() -> int:
    return db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "document_verified")
    )


def last_verification() -> AuditEvent:
    return db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "document_verified")
        .order_by(AuditEvent.id.desc())
    )


# --- who may open the page -------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/documents/verify")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_parent_is_refused(client, circle, login_as):
    login_as(circle.parent)
    assert client.get("/documents/verify").status_code == 403
    assert upload(client, b"%PDF-1.7").status_code == 403


def test_staff_sees_the_form(client, circle, login_as):
    login_as(circle.teacher)
    response = client.get("/documents/verify")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page


# --- verdicts --------------------------------------------------------------------------------


def test_genuine_document_shows_what_it_is_without_a_link_to_the_child(
    client, circle, login_as, issued
):
    document, data = issued
    login_as(circle.teacher)
    response = upload(client, data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Genuine and unaltered." in page and "flash-success" in page
    assert "Toestemming video-opnamen" in page
    assert circle.child.school.name in page
    assert document.sha256 in page.replace("<wbr>", "")
    assert "Consent" in page
    assert f"/children/{circle.child.id}" not in page
    assert circle.child.name not in page

    event = last_verification()
    assert event.actor_id == circle.teacher.id and event.object_id == document.id
    assert json.loads(event.data)["ok"] is True


@pytest.mark.parametrize(
    ("make_bad", "message"),
    [
        (lambda good: b"just some text, not a PDF", "This file is not a PDF document."),
        (lambda good: good[: len(good) // 2], "This PDF is incomplete"),
        (lambda good: good + b"x", "Something was added to this PDF after it was sealed."),
    ],
)
def test_bad_uploads_show_the_reason_and_change_nothing(
    client, circle, login_as, issued, make_bad, message
):
    _, data = issued
    login_as(circle.coach)
    before = document_count()
    response = upload(client, make_bad(data))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Not confirmed." in page and "flash-error" in page
    assert message in page
    assert "Genuine and unaltered." not in page
    assert document_count() == before
    assert json.loads(last_verification().data)["ok"] is False


def test_missing_file_asks_for_one(client, circle, login_as):
    login_as(circle.coach)
    response = client.post("/documents/verify?lang=en", data={}, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "Choose the PDF file you want to check." in response.get_data(as_text=True)


def test_oversized_upload_is_refused_before_it_is_read(client, circle, login_as):
    login_as(circle.coach)
    before = document_count()
    response = upload(client, b"%PDF-1.7\n" + bytes(MAX_VERIFY_BYTES + 128 * 1024))
    assert response.status_code == 413
    assert document_count() == before


def test_size_limit_applies_before_csrf_protection_reads_the_body(
    app, client, circle, login_as, monkeypatch
):
    login_as(circle.coach)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    checks_before = verification_count()
    big = upload(client, b"%PDF-1.7\n" + bytes(MAX_VERIFY_BYTES + 128 * 1024))
    assert big.status_code == 413
    small = upload(client, b"%PDF-1.7\n")
    assert small.status_code == 400  # no CSRF token: refused, not checked
    assert verification_count() == checks_before


# --- the command line ------------------------------------------------------------------------


def test_cli_verifies_an_issued_pdf(runner, issued, tmp_path, circle):
    document, data = issued
    path = tmp_path / "issued.pdf"
    path.write_bytes(data)
    result = runner.invoke(args=["verify-pdf", str(path)])
    assert result.exit_code == 0, result.output
    assert "VERIFIED" in result.output
    assert "kind:      consent" in result.output
    assert "Toestemming video-opnamen" in result.output
    assert circle.child.school.name in result.output
    assert document.sha256 in result.output
    assert document.issued_at.isoformat(timespec="seconds") in result.output


def test_cli_fails_for_a_changed_or_foreign_file(runner, issued, tmp_path):
    _, data = issued
    changed = bytearray(data)
    start = data.index(b"stream\n", data.index(b"/Length")) + len(b"stream\n")
    changed[start + 10] ^= 0x01
    for content, reason in (
        (bytes(changed), "This PDF was changed after it was sealed."),
        (b"hello", "This file is not a PDF document."),
    ):
        path = tmp_path / "suspect.pdf"
        path.write_bytes(content)
        result = runner.invoke(args=["verify-pdf", str(path)])
        assert result.exit_code == 1
        assert "NOT VERIFIED" in result.output and reason in result.output


DAMAGED = (
    b"%PDF-1.7\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\nxref\n0 3\ngarbage\n"
    b"trailer <</Root 1 0 R /Size 3>>\nstartxref\n9999\n%%EOF\n"
)


def damaged_seal(data: bytes) -> bytes:
    """The issued PDF with its signature's CMS data overwritten by junk of the same length."""
    start = data.index(b"/Contents <") + len(b"/Contents <")
    return data[:start] + b"0f" * 64 + data[start + 128 :]


@pytest.fixture
def terminal_and_log_file(tmp_path):
    """A console handler (what the terminal would show) and a log file, on the app's loggers."""
    terminal = io.StringIO()
    console = logging.StreamHandler(terminal)
    log_file = logging.FileHandler(tmp_path / "beeldbrug.log")
    loggers = (logging.getLogger(), logging.getLogger("beeldbrug"))
    for logger in loggers:
        logger.addHandler(console)
    loggers[1].addHandler(log_file)
    yield terminal, tmp_path / "beeldbrug.log"
    for logger in loggers:
        logger.removeHandler(console)
    loggers[1].removeHandler(log_file)
    log_file.close()


def test_cli_prints_only_the_verdict_for_a_damaged_file(
    runner, issued, tmp_path, terminal_and_log_file
):
    terminal, log_file = terminal_and_log_file
    _, data = issued
    for content, verdict in (
        (DAMAGED, "This PDF is damaged and cannot be read."),
        (damaged_seal(data), "The digital seal of this PDF is damaged and cannot be checked."),
    ):
        path = tmp_path / "damaged.pdf"
        path.write_bytes(content)
        result = runner.invoke(args=["verify-pdf", str(path)])
        assert result.exit_code == 1
        assert result.output == f"NOT VERIFIED: {verdict}\n"
    assert terminal.getvalue() == ""
    # The traceback is not lost: it is in the log file, for whoever looks into it.
    assert "Traceback" in log_file.read_text()
    # After the command the console shows log records again.
    logging.getLogger("beeldbrug").warning("back on the terminal")
    assert "back on the terminal" in terminal.getvalue()


def test_cli_help_is_the_docstring(runner):
    result = runner.invoke(args=["verify-pdf", "--help"])
    assert "Check that FILE is a PDF Beeldbrug issued" in result.output


# --- sending an issued document --------------------------------------------------------------


def test_send_document_is_a_private_attachment(app, issued):
    document, data = issued
    with app.test_request_context():
        response = send_document(document)
        response.direct_passthrough = False
        assert response.get_data() == data
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"toestemming-video-opnamen-{document.issued_at:%Y-%m-%d}.pdf" in disposition
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"


def test_download_name_is_safe(issued):
    document, _ = issued
    document = Document(
        title='Toestemming: "Noëlle" ../../etc/passwd\r\n', issued_at=document.issued_at
    )
    name = download_name(document)
    assert name.startswith("toestemming-noelle-etc-passwd-") and name.endswith(".pdf")
    assert Path(name).name == name
    assert download_name(Document(title="«»", issued_at=document.issued_at)).startswith("document-")


def test_send_document_answers_range_requests(app, issued):
    document, data = issued
    with app.test_request_context(headers={"Range": "bytes=-100"}):
        response = send_document(document)
        response.direct_passthrough = False
        assert response.status_code == 206
        assert response.get_data() == data[-100:]
    assert (
        response.headers["Content-Range"] == f"bytes {len(data) - 100}-{len(data) - 1}/{len(data)}"
    )
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["ETag"] == f'"{document.sha256}"'
    assert response.headers["Cache-Control"] == "private, no-store"


def test_send_document_hands_the_file_to_nginx_when_configured(app, issued, monkeypatch):
    document, _ = issued
    monkeypatch.setitem(app.config, "MEDIA_ACCEL_PREFIX", "/_media/")
    with app.test_request_context():
        response = send_document(document)
    assert response.headers["X-Accel-Redirect"] == f"/_media/{document.storage_key}"
    assert response.get_data() == b""
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
