"""Self-made seal keys stored encrypted with SIGNING_KEY_PASSPHRASE (issue 15 item 2), read
back by OpenSSL, an independent implementation of PKCS#12."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12

from app.core import pdf, seal
from tests.support.documents import BODY, TEST_TEMPLATE

pytestmark = pytest.mark.usefixtures("app_ctx")

PASSPHRASE = "een-lange-geheime-zin-voor-sleutels"


@pytest.fixture
def passphrase(app, monkeypatch) -> str:
    monkeypatch.setitem(app.config, "SIGNING_KEY_PASSPHRASE", PASSPHRASE)
    return PASSPHRASE


def openssl_reads(path: Path, password: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["openssl", "pkcs12", "-info", "-in", str(path), "-noout", "-passin", f"pass:{password}"],
        capture_output=True,
        text=True,
    )


def sealed_and_checked(school) -> seal.SealCheck:
    document = pdf.render_pdf(
        TEST_TEMPLATE,
        school_name=school.name,
        document_title="Sleutel",
        heading="Sleutel",
        body=BODY,
    )
    sealed = seal.seal_pdf(document, school, reason="Toestemming")
    return seal.verify_pdf(sealed, seal.trusted_certificates())


def test_a_new_school_key_is_stored_encrypted_with_the_passphrase(circle, signing_dir, passphrase):
    school = circle.child.school
    assert sealed_and_checked(school).ok
    path = signing_dir / f"school-{school.id}.p12"
    assert path.stat().st_mode & 0o777 == 0o600

    opened = openssl_reads(path, passphrase)
    assert opened.returncode == 0, opened.stderr
    assert "PBES2" in opened.stderr and "AES-256-CBC" in opened.stderr
    assert openssl_reads(path, "").returncode != 0
    assert openssl_reads(path, "een verkeerde zin").returncode != 0
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(path.read_bytes(), None)


def test_a_key_made_before_the_passphrase_is_encrypted_when_next_used(
    app, circle, signing_dir, monkeypatch
):
    school = circle.child.school
    monkeypatch.setitem(app.config, "SIGNING_KEY_PASSPHRASE", None)
    before = seal.material_for(school).certificate
    path = signing_dir / f"school-{school.id}.p12"
    assert openssl_reads(path, "").returncode == 0  # not encrypted

    monkeypatch.setitem(app.config, "SIGNING_KEY_PASSPHRASE", PASSPHRASE)
    assert seal.material_for(school).certificate.dump() == before.dump()  # the same key
    assert openssl_reads(path, PASSPHRASE).returncode == 0
    assert openssl_reads(path, "").returncode != 0
    assert sealed_and_checked(school).ok


def test_a_wrong_passphrase_is_a_clear_signing_error(app, circle, passphrase, monkeypatch):
    school = circle.child.school
    seal.material_for(school)
    monkeypatch.setitem(app.config, "SIGNING_KEY_PASSPHRASE", "een andere zin van genoeg tekens")
    with pytest.raises(seal.SigningError, match="cannot be opened with SIGNING_KEY_PASSPHRASE"):
        seal.material_for(school)
