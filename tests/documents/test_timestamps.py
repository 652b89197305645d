"""Timestamped seals (issue 14 item 4): PAdES-B-T with an RFC 3161 authority on loopback, the
validation data for later (B-LT), checked with pyHanko and poppler's pdfsig; an authority that
cannot be reached; verify-pdf and the verify page show the time and the authority."""

from __future__ import annotations

import io
import logging
import subprocess
from collections.abc import Iterator
from datetime import timedelta

import pytest
from asn1crypto import cms
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import DocumentSecurityStore, validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import func, select

from app.core import seal, storage
from app.core.db import db, utcnow
from app.documents.models import Document
from tests.support.infra import free_port
from tests.support.tsa import AUTHORITY_NAME, Authority, local_authority

pytestmark = pytest.mark.usefixtures("app_ctx")


@pytest.fixture
def authority(app, tmp_path, monkeypatch) -> Iterator[Authority]:
    with local_authority(tmp_path) as tsa:
        monkeypatch.setitem(app.config, "SIGNING_TSA_URL", tsa.url)
        monkeypatch.setitem(app.config, "SIGNING_TSA_CA_FILE", str(tsa.root_pem))
        yield tsa


@pytest.fixture
def unreachable(app, tmp_path, monkeypatch) -> None:
    with local_authority(tmp_path) as tsa:
        root_pem = tsa.root_pem
    # Nothing listens on this port: the connection is refused at once.
    monkeypatch.setitem(app.config, "SIGNING_TSA_URL", f"http://127.0.0.1:{free_port()}/tsa")
    monkeypatch.setitem(app.config, "SIGNING_TSA_CA_FILE", str(root_pem))
    monkeypatch.setitem(app.config, "SIGNING_TSA_TIMEOUT_S", 2)


def sealed_bytes(document: Document) -> bytes:
    return storage.path_of(document.storage_key).read_bytes()


def timestamp_token(data: bytes) -> cms.ContentInfo | None:
    signature = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    signer_info = signature.signer_info
    for attribute in signer_info["unsigned_attrs"] or []:
        if attribute["type"].native == "signature_time_stamp_token":
            return attribute["values"][0]
    return None


def test_a_seal_carries_a_timestamp_and_long_term_validation_data(
    issue, authority, circle, tmp_path
):
    before = utcnow()
    data = sealed_bytes(issue())
    assert authority.requests  # the authority was asked, over HTTP

    token = timestamp_token(data)
    assert token is not None  # PAdES-B-T: a timestamp token over the signature
    school_cert = seal.material_for(circle.child.school).certificate
    signature = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    status = validate_pdf_signature(
        signature,
        ValidationContext(trust_roots=[school_cert], allow_fetching=False),
        ts_validation_context=ValidationContext(trust_roots=[authority.root], allow_fetching=False),
    )
    assert status.bottom_line
    stamp = status.timestamp_validity
    assert stamp is not None and stamp.intact and stamp.valid and stamp.trusted
    assert stamp.signing_cert.subject.native["common_name"] == AUTHORITY_NAME
    assert before - timedelta(seconds=5) <= stamp.timestamp <= utcnow() + timedelta(seconds=5)

    # PAdES-B-LT: the validation data sits in the document security store, so the seal can
    # be checked later without fetching anything.
    reader = PdfFileReader(io.BytesIO(data))
    assert "/DSS" in reader.root
    store = DocumentSecurityStore.read_dss(reader)
    stored = {c.subject.native["common_name"] for c in store.load_certs()}
    assert {AUTHORITY_NAME, circle.child.school.name} <= stored
    # Checked from what the file holds alone: the store's certificates, nothing fetched.
    offline = store.as_validation_context(
        {"trust_roots": [authority.root], "allow_fetching": False}
    )
    later = validate_pdf_signature(
        reader.embedded_signatures[0],
        ValidationContext(trust_roots=[school_cert], allow_fetching=False),
        ts_validation_context=offline,
    )
    assert later.bottom_line and later.timestamp_validity.trusted

    path = tmp_path / "sealed.pdf"
    path.write_bytes(data)
    report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert "Signature Type: ETSI.CAdES.detached" in report
    assert "Signature Validation: Signature is Valid." in report
    assert "Total document signed" in report  # the validation data is inside the seal's cover

    # The timestamp checked by tools of their own: poppler dumps the signature as it reads
    # it from the file, and OpenSSL verifies the RFC 3161 token in it against the
    # authority's root, over the signature value it stamps.
    subprocess.run(["pdfsig", "-dump", str(path)], check=True, capture_output=True, cwd=tmp_path)
    dumped = (tmp_path / "sealed.pdf.sig0").read_bytes()
    printed = subprocess.run(
        ["openssl", "cms", "-inform", "DER", "-cmsout", "-print"],
        input=dumped,
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert "id-smime-aa-timeStampToken" in printed
    signer_info = cms.ContentInfo.load(dumped)["content"]["signer_infos"][0]
    (tmp_path / "token.der").write_bytes(timestamp_token(data).dump())
    (tmp_path / "stamped.bin").write_bytes(signer_info["signature"].native)
    verified = subprocess.run(
        ["openssl", "ts", "-verify", "-token_in", "-in", "token.der", "-data", "stamped.bin"]
        + ["-CAfile", str(authority.root_pem)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert "Verification: OK" in verified.stdout, verified.stderr


def test_without_an_authority_the_seal_is_as_before(issue):
    data = sealed_bytes(issue())
    assert timestamp_token(data) is None
    assert "/DSS" not in PdfFileReader(io.BytesIO(data)).root


def test_an_unreachable_authority_seals_without_a_timestamp_and_says_so(issue, unreachable, caplog):
    with caplog.at_level(logging.WARNING, logger="beeldbrug.seal"):
        data = sealed_bytes(issue())
    assert timestamp_token(data) is None
    assert any("WITHOUT a timestamp" in r.getMessage() for r in caplog.records)
    check = seal.verify_pdf(data, seal.trusted_certificates())
    assert check.ok and check.timestamp is None


def test_an_unreachable_authority_refuses_the_seal_when_a_timestamp_is_required(
    app, issue, unreachable, monkeypatch, caplog
):
    monkeypatch.setitem(app.config, "SIGNING_TSA_REQUIRED", True)
    before = db.session.scalar(select(func.count()).select_from(Document))
    with caplog.at_level(logging.ERROR, logger="beeldbrug.seal"), pytest.raises(seal.SigningError):
        issue(commit=False)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Document)) == before
    assert any("timestamp is required" in r.getMessage() for r in caplog.records)


def test_verify_pdf_shows_the_time_and_the_authority(app, issue, authority, runner, tmp_path):
    path = tmp_path / "sealed.pdf"
    path.write_bytes(sealed_bytes(issue()))
    result = runner.invoke(args=["verify-pdf", str(path)])
    assert result.exit_code == 0, result.output
    assert "timestamp: " in result.output
    assert AUTHORITY_NAME in result.output


def test_the_verify_page_shows_the_time_and_the_authority(
    app, issue, authority, client, login_as, circle
):
    data = sealed_bytes(issue())
    login_as(circle.coach)
    page = client.post(
        "/documents/verify?lang=en",
        data={"file": (io.BytesIO(data), "toestemming.pdf")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert 'id="verdict"' in page and "flash-success" in page
    row = page.split('id="timestamp"', 1)[1].split("</tr>", 1)[0]
    assert AUTHORITY_NAME in row


def test_a_timestamp_from_an_authority_not_trusted_is_not_confirmed(
    app, issue, authority, monkeypatch, tmp_path
):
    data = sealed_bytes(issue())
    monkeypatch.setitem(app.config, "SIGNING_TSA_CA_FILE", None)
    check = seal.verify_pdf(data, seal.trusted_certificates())
    assert not check.ok and check.code == "invalid"


def test_an_authority_without_its_root_certificate_is_refused_at_start():
    from config import TestConfig

    class Half(TestConfig):
        SIGNING_TSA_URL = "http://127.0.0.1:1/tsa"

    with pytest.raises(RuntimeError, match="SIGNING_TSA_CA_FILE"):
        Half.check()


def test_a_school_that_requires_a_trusted_time_refuses_a_seal_without_one(
    app, issue, unreachable, circle, caplog
):
    # The school's admin, not only the installation, may require it; other schools go on.
    circle.child.school.seals_need_timestamp = True
    db.session.commit()
    before = db.session.scalar(select(func.count()).select_from(Document))
    with caplog.at_level(logging.ERROR, logger="beeldbrug.seal"), pytest.raises(seal.SigningError):
        issue(commit=False)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Document)) == before
    assert any("timestamp is required" in r.getMessage() for r in caplog.records)


def test_a_school_that_requires_a_trusted_time_gets_one_when_the_authority_answers(
    app, issue, authority, circle
):
    circle.child.school.seals_need_timestamp = True
    db.session.commit()
    assert timestamp_token(sealed_bytes(issue())) is not None


def test_a_school_that_requires_a_trusted_time_refuses_a_seal_without_any_authority(
    app, issue, circle
):
    circle.child.school.seals_need_timestamp = True
    db.session.commit()
    with pytest.raises(seal.SigningError):
        issue(commit=False)
    db.session.rollback()
