"""The consent PDF: what it says, and that its seal holds (SECURITY G.29-31)."""

from __future__ import annotations

import re
import subprocess
from io import BytesIO

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select

from app.circle.models import Child
from app.consent import services
from app.consent.models import Answer, Purpose
from app.core import seal, storage
from app.core.db import db
from app.documents.models import Document
from app.documents.services import verify_upload
from tests.support.consent import ALL_YES, sign_consent
from tests.support.documents import header_scopes, table_cells


def pdf_of(app, record) -> tuple[Document, bytes]:
    document = db.session.scalar(
        select(Document).where(
            Document.subject_type == "ConsentRecord", Document.subject_id == record.id
        )
    )
    with app.app_context(), storage.open_file(document.storage_key) as fh:
        return document, fh.read()


def text_of(data: bytes, tmp_path) -> str:
    path = tmp_path / "consent.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_the_pdf_says_who_what_and_shows_the_text_and_evidence(app, circle, tmp_path):
    record = sign_consent(
        app, circle.child, circle.parent, {**ALL_YES, Purpose.PEER_REVIEW: Answer.NO}
    )
    document, data = pdf_of(app, record)
    text = " ".join(text_of(data, tmp_path).split())
    child = db.session.get(Child, circle.child.id)
    for expected in (
        child.school.name,
        child.name,
        circle.parent.name,
        circle.parent.email,
        "Filmen op school",
        "Tonen in intervisie",
        "Op school werken we met videobegeleiding",  # the text as shown
        record.text_sha256[:32],
        "192.0.2.10",
        "pytest browser",
        "UTC",
    ):
        assert expected in text, expected
    assert "1/3" in text.replace(" ", "") or "van 3" in text or "of 3" in text  # page numbers


def test_the_seal_validates_against_the_schools_certificate(app, circle):
    record = sign_consent(app, circle.child, circle.parent)
    _, data = pdf_of(app, record)
    with app.app_context():
        cert = seal.material_for(db.session.get(Child, circle.child.id).school).certificate
    signature = PdfFileReader(BytesIO(data)).embedded_signatures[0]
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    status = validate_pdf_signature(
        signature, ValidationContext(trust_roots=[cert], allow_fetching=False)
    )
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage.name == "ENTIRE_FILE"


def test_poppler_agrees(app, circle, tmp_path):
    record = sign_consent(app, circle.child, circle.parent)
    _, data = pdf_of(app, record)
    path = tmp_path / "c.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert "ETSI.CAdES.detached" in out and "Signature is Valid" in out


def test_both_tables_name_the_column_each_header_heads(app, circle, tmp_path):
    # The answers and the evidence: PDF/UA wants each header's scope, which poppler reads back.
    record = sign_consent(app, circle.child, circle.parent)
    _, data = pdf_of(app, record)
    assert header_scopes(data, tmp_path) == ["Column"] * 7


def test_an_unaltered_copy_verifies_and_one_changed_byte_does_not(app, circle):
    record = sign_consent(app, circle.child, circle.parent)
    document, data = pdf_of(app, record)
    with app.app_context():
        ok = verify_upload(db.session, data)
        assert ok.ok and ok.document.id == document.id
        changed = bytearray(data)
        position = data.index(b"/Type /Page") + 2
        changed[position] = ord("X") if changed[position] != ord("X") else ord("Y")
        bad = verify_upload(db.session, bytes(changed))
        assert not bad.ok and bad.reason


def test_the_document_is_recorded_with_its_hash(app, circle):
    import hashlib

    record = sign_consent(app, circle.child, circle.parent)
    document, data = pdf_of(app, record)
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert document.issued_by_id == circle.parent.id and document.child_id == circle.child.id


def test_english_signer_gets_an_english_pdf(app, circle, make_user, tmp_path):
    english = make_user("Olga Smit", language="en")
    from app.circle.models import Membership, Role
    from app.core.db import db as _db

    _db.session.add(Membership(child_id=circle.child.id, user_id=english.id, role=Role.PARENT))
    _db.session.commit()
    record = sign_consent(app, circle.child, english)
    text = " ".join(text_of(pdf_of(app, record)[1], tmp_path).split())
    assert "Filming at school" in text and "Evidence" in text


def test_a_failure_while_issuing_stores_neither_record_nor_file(app, circle, monkeypatch):
    import pytest

    from app.consent.models import ConsentRecord

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(storage, "store_bytes", broken)
    with pytest.raises(OSError):
        sign_consent(app, circle.child, circle.parent)
    db.session.rollback()
    assert db.session.scalar(select(ConsentRecord.id)) is None
    assert db.session.scalar(select(Document.id)) is None
    with app.app_context():
        assert not services.allows(db.session.get(Child, circle.child.id), Purpose.SCHOOL_RECORDING)


def test_sealing_works_inside_a_running_event_loop(app, circle):
    """An async server, or a test session driving a browser, already runs a loop."""
    import asyncio

    async def seal_from_async_code():
        with app.app_context():
            return sign_consent(app, circle.child, circle.parent)

    record = asyncio.run(seal_from_async_code())
    _, data = pdf_of(app, record)
    with app.app_context():
        assert verify_upload(db.session, data).ok


def test_the_pdf_names_the_account_holder_and_what_its_hash_covers(
    app, circle, make_user, tmp_path
):
    from app.circle.models import Membership, Role

    english = make_user("Olga Smit", language="en")
    db.session.add(Membership(child_id=circle.child.id, user_id=english.id, role=Role.PARENT))
    db.session.commit()
    record = sign_consent(app, circle.child, english, typed_name="Mickey Mouse")
    layout = text_of(pdf_of(app, record)[1], tmp_path)
    text = " ".join(layout.split())
    assert f"Signed by {english.name} ({english.email})" in text
    assert "Name as typed Mickey Mouse" in text
    assert "SHA-256 of the text" in text and "SHA-256 of this PDF" in text
    # The text's hash wraps, if at all, between its two halves: never a lone character.
    sha = record.text_sha256
    hex_runs = re.findall(r"\b[0-9a-f]{8,64}\b", layout)
    assert sha in hex_runs or (sha[:32] in hex_runs and sha[32:] in hex_runs)


def test_the_table_header_cells_carry_their_scope(app, circle):
    """PDF/UA: every TH of the answers and the evidence tables says it heads a column."""
    record = sign_consent(app, circle.child, circle.parent)
    _root, headers, _cells = table_cells(pdf_of(app, record)[1])
    assert len(headers) == 2 + 5
    assert all(th["/A"].get_object()["/Scope"] == "/Column" for th in headers)
