"""Rendering and sealing: the text is there, the seal validates, only static files are fetched."""

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
from flask_babel import force_locale
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from app.core import pdf, storage
from tests.documents.conftest import BODY, TEST_TEMPLATE, pdftotext

pytestmark = pytest.mark.usefixtures("app_ctx")

PNG_1PX = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def render(**values) -> bytes:
    return pdf.render_pdf(
        TEST_TEMPLATE,
        school_name="Basisschool De Linde",
        document_title="Toestemming video-opnamen",
        heading="Toestemming",
        body=BODY,
        **values,
    )


def images_in(data: bytes, tmp_path: Path) -> int:
    path = tmp_path / "images.pdf"
    path.write_bytes(data)
    listing = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout
    rows = [line.split() for line in listing.strip().splitlines()[2:]]  # two header lines
    return sum(1 for row in rows if row[2] == "image")  # not counting soft masks


def test_render_shows_dutch_text_school_and_page_numbers(tmp_path):
    text = pdftotext(render(), tmp_path)
    assert BODY in text
    assert "Basisschool De Linde" in text
    assert "Toestemming video-opnamen" in text
    assert "pagina 1 van 1" in text  # Dutch, the default language
    assert "%PDF-" not in text


def test_page_counter_is_translatable_css():
    assert str(pdf.page_counter_content()) == '"pagina " counter(page) " van " counter(pages)'
    with force_locale("en"):
        content = str(pdf.page_counter_content())
    assert content == '"page " counter(page) " of " counter(pages)'
    # Quotes, backslashes and markup in a translation cannot break out of the CSS string.
    assert pdf._css_string('a"b\\c</style>') == '"a\\22 b\\5c c\\3c /style\\3e "'


def test_only_templates_under_pdf_are_rendered():
    with pytest.raises(ValueError):
        pdf.render_pdf("base.html")
    with pytest.raises(ValueError):
        pdf.render_pdf("pdf/../base.html")


def test_fetcher_refuses_files_outside_static_and_remote_urls(app):
    fetcher = pdf.static_fetcher()
    static = Path(app.static_folder).resolve()
    for url in (
        "file:///etc/passwd",
        "http://example.org/x.png",
        "https://example.org/static/css/print.css",
        f"{pdf.PRINT_BASE_URL}static/../config.py",
        f"{pdf.PRINT_BASE_URL}static/%2e%2e/config.py",
        f"{pdf.PRINT_BASE_URL}app/core/pdf.py",
        f"file://{static}/../config.py",
        "ftp://example.org/x.png",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    # What it does serve: static files, by the print origin or by path, and data: URLs.
    css = fetcher.fetch(f"{pdf.PRINT_BASE_URL}static/css/print.css")
    assert b"@page" in css.read() and css.content_type == "text/css"
    assert fetcher.fetch(f"file://{static}/img/logo.svg").read().startswith(b"<svg")
    assert fetcher.fetch(PNG_1PX).read().startswith(b"\x89PNG")


def test_refused_images_are_left_out_of_the_document(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the renderer tried to reach the network")

    monkeypatch.setattr("socket.create_connection", no_network)
    monkeypatch.setattr("socket.getaddrinfo", no_network)
    hostile = render(hostile_image="file:///etc/passwd")
    assert images_in(hostile, tmp_path) == 0
    remote = render(hostile_image="http://example.org/x.png")
    assert images_in(remote, tmp_path) == 0
    # A data: image (a drawn signature) is embedded.
    assert images_in(render(image=PNG_1PX), tmp_path) == 1


def test_sealed_document_validates_with_pyhanko_and_pdfsig(issue, signing_dir, tmp_path, circle):
    document = issue()
    data = storage.path_of(document.storage_key).read_bytes()
    school_cert = pdf.material_for(circle.child.school).certificate

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
    sealed = pdf.seal_pdf(render(), circle.child.school, reason="Toestemming")
    # The same file checked against some other school's certificate only.
    other = SimpleNamespace(id=999, name="Andere school")
    monkeypatch.setitem(pdf.current_app.config, "SIGNING_DIR", tmp_path / "elsewhere")
    stranger = pdf.material_for(other).certificate
    check = pdf.verify_pdf(sealed, [stranger])
    assert not check.ok and check.code == "untrusted" and check.intact


def test_school_key_file_is_private_and_describes_the_school(circle, signing_dir):
    school = circle.child.school
    signer = pdf.signer_for(school)
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
    assert pdf.signer_for(school) is signer
    assert signer.signing_cert.dump() == cert.public_bytes(pdf.serialization.Encoding.DER)


def _create_in_child(path: str, start) -> None:
    start.wait()
    pdf._create_school_key(SimpleNamespace(id=7, name="Racende school"), Path(path))


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
    pdf._create_school_key(SimpleNamespace(id=7, name="Racende school"), path)
    assert path.read_bytes() == first
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".tmp-")] == []


def test_configured_pkcs12_seals_for_every_school(app, circle, make_school, tmp_path, monkeypatch):
    # Make an installation certificate with a password, as production would.
    other = SimpleNamespace(id=1, name="Stichting Beeldbrug Scholen")
    raw = pdf._new_school_pkcs12(other)
    key, cert, _ = pkcs12.load_key_and_certificates(raw, None)
    p12 = tmp_path / "installation.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"x", key, cert, None, BestAvailableEncryption(b"geheim")
        )
    )
    school_key_cert = pdf.material_for(circle.child.school).certificate  # an older per-school key
    monkeypatch.setitem(app.config, "SIGNING_PKCS12_PATH", str(p12))
    monkeypatch.setitem(app.config, "SIGNING_PKCS12_PASSWORD", "geheim")

    for school in (circle.child.school, make_school("Andere school")):
        sealed = pdf.seal_pdf(render(), school, reason="Toestemming")
        check = pdf.verify_pdf(sealed, pdf.trusted_certificates())
        assert check.ok, check.code
        assert "Stichting Beeldbrug Scholen" in check.signer_subject
    # Keys used before the switch are still trusted for verification.
    assert school_key_cert.sha256 in {c.sha256 for c in pdf.trusted_certificates()}

    monkeypatch.setitem(app.config, "SIGNING_PKCS12_PASSWORD", "fout")
    with pytest.raises(pdf.SigningError):
        pdf.signer_for(circle.child.school)
