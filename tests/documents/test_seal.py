"""Sealing: the seal validates with pyHanko and poppler, keys are private and made once."""

from __future__ import annotations

import io
import multiprocessing
import subprocess
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from app.core import pdf, seal, storage
from tests.support.documents import BODY, TEST_TEMPLATE, pdftotext

pytestmark = pytest.mark.usefixtures("app_ctx")


def render() -> bytes:
    return pdf.render_pdf(
        TEST_TEMPLATE,
        school_name="Basisschool De Linde",
        document_title="Toestemming video-opnamen",
        heading="Toestemming",
        body=BODY,
    )


def test_sealed_document_validates_with_pyhanko_and_pdfsig(issue, signing_dir, tmp_path, circle):
    document = issue()
    data = storage.path_of(document.storage_key).read_bytes()
    school_cert = seal.material_for(circle.child.school).certificate

    signature = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    assert signature.field_name == "BeeldbrugSeal"
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    status = validate_pdf_signature(
        signature, ValidationContext(trust_roots=[school_cert], allow_fetching=False)
    )
    assert status.bottom_line and status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.signing_cert.subject.native["common_name"] == circle.child.school.name

    path = tmp_path / "sealed.pdf"
    path.write_bytes(data)
    report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert "Signature Field Name: BeeldbrugSeal" in report
    assert "Signature Type: ETSI.CAdES.detached" in report
    assert "Total document signed" in report
    assert "Signature Validation: Signature is Valid." in report

    assert BODY in pdftotext(data, tmp_path)


def test_untrusted_key_is_not_accepted(circle, tmp_path, monkeypatch):
    sealed = seal.seal_pdf(render(), circle.child.school, reason="Toestemming")
    # The same file checked against some other school's certificate only.
    other = SimpleNamespace(id=999, name="Andere school")
    monkeypatch.setitem(seal.current_app.config, "SIGNING_DIR", tmp_path / "elsewhere")
    stranger = seal.material_for(other).certificate
    check = seal.verify_pdf(sealed, [stranger])
    assert not check.ok and check.code == "untrusted" and check.intact


def test_school_key_file_is_private_and_describes_the_school(circle, signing_dir):
    school = circle.child.school
    signer = seal.signer_for(school)
    path = signing_dir / f"school-{school.id}.p12"
    assert path.stat().st_mode & 0o777 == 0o600
    assert signing_dir.stat().st_mode & 0o777 == 0o700

    _, cert, _ = pkcs12.load_key_and_certificates(path.read_bytes(), None)
    names = {a.oid._name: a.value for a in cert.subject}
    assert names == {"commonName": school.name, "organizationName": school.name}
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert timedelta(days=3650) <= lifetime <= timedelta(days=3660)
    # Loaded once per process, and the loaded key is the one on disk.
    assert seal.signer_for(school) is signer
    assert signer.signing_cert.dump() == cert.public_bytes(seal.serialization.Encoding.DER)


def _create_in_child(path: str, start) -> None:
    start.wait()
    seal._create_school_key(SimpleNamespace(id=7, name="Racende school"), Path(path))


def test_concurrent_key_creation_ends_with_one_key(tmp_path):
    path = tmp_path / "signing" / "school-7.p12"
    ctx = multiprocessing.get_context("fork")
    start = ctx.Event()
    workers = [ctx.Process(target=_create_in_child, args=(str(path), start)) for _ in range(4)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(30)
        assert worker.exitcode == 0
    first = path.read_bytes()
    # A later process finds the key and does not replace it.
    seal._create_school_key(SimpleNamespace(id=7, name="Racende school"), path)
    assert path.read_bytes() == first
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".tmp-")] == []


def test_configured_pkcs12_seals_for_every_school(app, circle, make_school, tmp_path, monkeypatch):
    # Make an installation certificate with a password, as production would.
    other = SimpleNamespace(id=1, name="Stichting Beeldbrug Scholen")
    raw = seal._new_school_pkcs12(other)
    key, cert, _ = pkcs12.load_key_and_certificates(raw, None)
    p12 = tmp_path / "installation.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"x", key, cert, None, BestAvailableEncryption(b"geheim")
        )
    )
    school_key_cert = seal.material_for(circle.child.school).certificate  # an older per-school key
    monkeypatch.setitem(app.config, "SIGNING_PKCS12_PATH", str(p12))
    monkeypatch.setitem(app.config, "SIGNING_PKCS12_PASSWORD", "geheim")

    for school in (circle.child.school, make_school("Andere school")):
        sealed = seal.seal_pdf(render(), school, reason="Toestemming")
        check = seal.verify_pdf(sealed, seal.trusted_certificates())
        assert check.ok, check.code
        assert "Stichting Beeldbrug Scholen" in check.signer_subject
    # Keys used before the switch are still trusted for verification.
    assert school_key_cert.sha256 in {c.sha256 for c in seal.trusted_certificates()}

    monkeypatch.setitem(app.config, "SIGNING_PKCS12_PASSWORD", "fout")
    with pytest.raises(seal.SigningError):
        seal.signer_for(circle.child.school)


def test_sealing_keeps_the_tags_and_the_seal_covers_the_tagged_file(circle, tmp_path):
    rendered = render()
    sealed = seal.seal_pdf(rendered, circle.child.school, reason="Toestemming")
    catalogue = PdfFileReader(io.BytesIO(sealed)).root
    assert catalogue["/MarkInfo"]["/Marked"].value is True
    assert "/StructTreeRoot" in catalogue and str(catalogue["/Lang"]) == "nl"
    check = seal.verify_pdf(sealed, seal.trusted_certificates())
    assert check.ok and check.entire_file, check.code
    path = tmp_path / "sealed.pdf"
    path.write_bytes(sealed)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert "Tagged:          yes" in info
