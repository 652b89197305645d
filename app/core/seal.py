"""Sealing issued PDFs with the school's key, the keys themselves, and verifying a copy.

Sealing
    :func:`seal_pdf` adds a PAdES baseline B-B signature (``/ETSI.CAdES.detached``) with
    pyHanko. Without a timestamp server this is a simple electronic signature sealed by the
    school, not a qualified one; say so wherever it is described to people. Rendering the
    PDF is :mod:`app.core.pdf`'s job.

Signing material (settings in ``config.py``)
    *Embedded default*: every school gets its own key (EC P-256) and a self-signed certificate
    (CN and O = the school's name, key usage digitalSignature + nonRepudiation, valid 10 years),
    created on first use as ``SIGNING_DIR/school-<id>.p12`` (default ``instance/signing``), mode
    0600. Creation happens under an exclusive lock, and the file is renamed into place only
    when complete (:func:`app.core.files.atomic_write`), so two processes starting at once end
    up with one key, the one on disk. With ``SIGNING_KEY_PASSPHRASE`` set (production requires
    it for self-signed seals, ``SIGNING_SELF_SIGNED``), the files are encrypted with it
    (PBES2, AES-256-CBC); a file made before the passphrase was set is encrypted when first
    loaded.

    *Production*: ``SIGNING_PKCS12_PATH`` names one PKCS#12 file (key, certificate and any CA
    chain) that seals for every school of the installation; ``SIGNING_PKCS12_PASSWORD`` is its
    password. Keys that the embedded default created earlier stay trusted for verification.

Loaded signers are cached per process; a key file that changes on disk is loaded again.

Verifying
    :func:`verify_pdf` checks a copy against the trusted certificates and never raises for bad
    input; :data:`REASONS` holds the sentence for each way a copy can fail.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import re
import threading
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any, TypeVar

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from flask import current_app
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from app.core.files import DIR_MODE, atomic_write
from app.core.i18n import lazy_gettext as _l

T = TypeVar("T")
log = logging.getLogger("beeldbrug.seal")

SEAL_FIELD = "BeeldbrugSeal"
CERTIFICATE_YEARS = 10
_SCHOOL_FILE_RE = re.compile(r"^school-(\d+)\.p12$")


class SigningError(RuntimeError):
    """The signing key or certificate could not be created or loaded."""


# --- signing material ------------------------------------------------------------------------


@dataclass(frozen=True)
class SigningMaterial:
    """A loaded key with its certificate, and the certificates to trust when verifying."""

    signer: signers.SimpleSigner
    certificate: asn1_x509.Certificate
    trust: tuple[asn1_x509.Certificate, ...]


_cache: dict[tuple[Path, bytes | None], tuple[tuple[int, int], SigningMaterial]] = {}
_cache_lock = threading.Lock()


def signing_dir() -> Path:
    """Where the embedded default keeps the schools' keys (``SIGNING_DIR``)."""
    configured = current_app.config.get("SIGNING_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "signing"


def school_key_path(school_id: int) -> Path:
    """The key file of one school in the embedded default."""
    return signing_dir() / f"school-{int(school_id)}.p12"


def _configured_pkcs12() -> tuple[Path, bytes | None] | None:
    path = current_app.config.get("SIGNING_PKCS12_PATH")
    if not path:
        return None
    password = current_app.config.get("SIGNING_PKCS12_PASSWORD")
    return Path(path), (password.encode() if password else None)


def material_for(school: Any) -> SigningMaterial:
    """The key and certificate that seal ``school``'s documents, created on first use.

    Raises SigningError when the configured PKCS#12 file cannot be read, or the school's
    key cannot be created or loaded.
    """
    configured = _configured_pkcs12()
    if configured is not None:
        return _load(*configured)
    path = school_key_path(school.id)
    if not path.exists():
        _create_school_key(school, path)
    return _load_school_key(path)


def signer_for(school: Any) -> signers.SimpleSigner:
    """The pyHanko signer for ``school`` (see :func:`material_for`; raises SigningError)."""
    return material_for(school).signer


def trusted_certificates() -> list[asn1_x509.Certificate]:
    """Every certificate this installation has sealed with: the configured one and each school's.

    Keys are never created here. An unreadable key file is logged and left out.
    """
    found: list[asn1_x509.Certificate] = []
    configured = _configured_pkcs12()
    if configured is not None and configured[0].exists():
        found.extend(_load(*configured).trust)
    directory = signing_dir()
    if directory.is_dir():
        for path in sorted(directory.iterdir()):
            if _SCHOOL_FILE_RE.match(path.name):
                try:
                    found.extend(_load_school_key(path).trust)
                except SigningError:
                    log.exception("signing key %s could not be loaded", path.name)
    unique: dict[bytes, asn1_x509.Certificate] = {c.sha256: c for c in found}
    return list(unique.values())


def _load(path: Path, password: bytes | None) -> SigningMaterial:
    try:
        stat = path.stat()
    except OSError as error:
        raise SigningError(f"signing key file {path.name} cannot be read") from error
    version = (stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        cached = _cache.get((path, password))
        if cached is not None and cached[0] == version:
            return cached[1]
        try:
            data = path.read_bytes()
            signer = signers.SimpleSigner.load_pkcs12_data(
                data, other_certs=[], passphrase=password
            )
        except (OSError, ValueError) as error:
            raise SigningError(f"signing key file {path.name} cannot be loaded") from error
        certificate = signer.signing_cert
        assert certificate is not None  # load_pkcs12_data always sets it
        chain = [c for c in signer.cert_registry if c.sha256 != certificate.sha256]
        material = SigningMaterial(signer, certificate, (certificate, *chain))
        _cache[(path, password)] = (version, material)
        return material


def _school_passphrase() -> bytes | None:
    passphrase = current_app.config.get("SIGNING_KEY_PASSPHRASE")
    return passphrase.encode() if passphrase else None


def _load_school_key(path: Path) -> SigningMaterial:
    """A school's self-made key, encrypting it first when it predates the passphrase.

    Raises SigningError when the file cannot be read or opened with the passphrase.
    """
    passphrase = _school_passphrase()
    if passphrase is None:
        return _load(path, None)
    try:
        return _load(path, passphrase)
    except SigningError:
        pass
    try:
        plain = _load(path, None)
    except SigningError:
        raise SigningError(
            f"signing key file {path.name} cannot be opened with SIGNING_KEY_PASSPHRASE"
        ) from None
    _encrypt_in_place(path, plain, passphrase)
    return _load(path, passphrase)


def _encrypt_in_place(path: Path, plain: SigningMaterial, passphrase: bytes) -> None:
    key = plain.signer.signing_key
    data = pkcs12.serialize_key_and_certificates(
        path.stem.encode(),
        serialization.load_der_private_key(key.dump(), password=None),  # type: ignore[arg-type]
        x509.load_der_x509_certificate(plain.certificate.dump()),
        None,
        _encryption(passphrase),
    )
    with atomic_write(path) as out:
        out.write(data)
    log.warning("encrypted the signing key %s with SIGNING_KEY_PASSPHRASE", path.name)


def _encryption(passphrase: bytes | None) -> serialization.KeySerializationEncryption:
    if passphrase is None:
        return serialization.NoEncryption()
    return (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(600_000)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(passphrase)
    )


def _create_school_key(school: Any, path: Path) -> None:
    """Create ``school``'s key and certificate at ``path`` unless another process just did."""
    path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    lock_path = path.with_suffix(".lock")
    try:
        lock_fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600)
    except OSError as error:
        raise SigningError(f"cannot lock {lock_path.name}") from error
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        if path.exists():  # another process created it while this one waited
            return
        data = _new_school_pkcs12(school)
        with atomic_write(path) as out:
            out.write(data)
        log.info("created the signing key of school %s", school.id)
    finally:
        fcntl.flock(lock_fd, fcntl.LOCK_UN)
        os.close(lock_fd)


def _new_school_pkcs12(school: Any) -> bytes:
    # X.509 limits CN and O to 64 characters.
    name = (str(school.name).strip() or f"School {school.id}")[:64]
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # A little slack for clocks that run slightly behind.
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * CERTIFICATE_YEARS + 3))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # nonRepudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return pkcs12.serialize_key_and_certificates(
        f"Beeldbrug school {school.id}".encode(),
        key,
        certificate,
        None,
        _encryption(_school_passphrase()),
    )


# --- sealing and verifying -------------------------------------------------------------------


def seal_pdf(pdf: bytes, school: Any, *, reason: str, location: str | None = None) -> bytes:
    """Seal ``pdf`` as PAdES-B-B with ``school``'s key; returns the sealed PDF.

    Raises SigningError when the key cannot be had, and pyHanko's errors (PdfReadError and
    others) for input that is not a PDF it can update.
    """
    meta = signers.PdfSignatureMetadata(
        field_name=SEAL_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=str(reason),
        location=str(location) if location else None,
        name=str(school.name),
    )
    out = BytesIO()
    signer = signers.PdfSigner(meta, signer=signer_for(school))
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    run_coroutine(lambda: signer.async_sign_pdf(writer, output=out))
    return out.getvalue()


def run_coroutine(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run one of pyHanko's coroutines to completion from synchronous code.

    pyHanko's own synchronous wrappers call ``asyncio.run``, which refuses to run inside a
    thread whose event loop is already running (an async server, or a test session that
    drives a browser). There the coroutine gets a loop of its own in a short-lived thread.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pdf-seal") as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


#: Why a PDF did not pass, by code (the code goes into logs and audit data, the text to people).
REASONS: dict[str, Any] = {
    "not_a_pdf": _l("This file is not a PDF document."),
    "truncated": _l("This PDF is incomplete: the end of the file is missing."),
    "damaged": _l("This PDF is damaged and cannot be read."),
    "no_seal": _l("This PDF carries no digital seal."),
    "seal_damaged": _l("The digital seal of this PDF is damaged and cannot be checked."),
    "changed": _l("This PDF was changed after it was sealed."),
    "added_to": _l("Something was added to this PDF after it was sealed."),
    "untrusted": _l("This PDF was not sealed by a school in Beeldbrug."),
    "invalid": _l("The digital seal of this PDF is not valid."),
}


@dataclass(frozen=True)
class SealCheck:
    """The outcome of checking a PDF's seal; ``code`` says why when ``ok`` is false."""

    ok: bool
    code: str | None = None
    signer_subject: str | None = None
    signed_at: datetime | None = None
    intact: bool = False
    trusted: bool = False
    entire_file: bool = False

    @property
    def reason(self) -> Any:
        """The translated sentence for ``code`` (lazy), or None when the seal is fine."""
        return REASONS[self.code] if self.code else None


def looks_like_pdf(data: bytes) -> bool:
    """True when ``data`` starts like a PDF (the header may follow up to 1 KB of junk)."""
    return b"%PDF-" in data[:1024]


def verify_pdf(data: bytes, school_certs: Sequence[asn1_x509.Certificate]) -> SealCheck:
    """Check the Beeldbrug seal of ``data`` against ``school_certs`` as the only trust roots.

    The seal must be cryptographically intact, made with a trusted certificate, judged valid
    overall (pyHanko's ``bottom_line``; ``valid`` alone stays true on a tampered file) and
    cover the entire file. Never raises for bad input: a damaged file or signature is
    reported as not ok with a reason.
    """
    if not looks_like_pdf(data):
        return SealCheck(False, "not_a_pdf")
    if b"%%EOF" not in data[-1024:]:
        return SealCheck(False, "truncated")
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        reader.root  # noqa: B018 - reading the catalogue proves the structure is sound
    except Exception:  # pyHanko raises many kinds of error for a damaged file
        log.info("unreadable PDF offered for verification", exc_info=True)
        return SealCheck(False, "damaged")
    try:
        signatures = list(reader.embedded_signatures)
    except Exception:  # a signature whose CMS data cannot even be parsed
        log.info("unreadable seal in a PDF offered for verification", exc_info=True)
        return SealCheck(False, "seal_damaged")
    if not signatures:
        return SealCheck(False, "no_seal")
    signature = next((s for s in signatures if s.field_name == SEAL_FIELD), signatures[0])
    try:
        context = ValidationContext(trust_roots=list(school_certs), allow_fetching=False)
        status = run_coroutine(lambda: async_validate_pdf_signature(signature, context))
    except Exception:  # a corrupted signature block raises instead of returning a status
        log.info("seal could not be validated", exc_info=True)
        return SealCheck(False, "seal_damaged")

    subject = None
    if status.signing_cert is not None:
        name = status.signing_cert.subject
        subject = name.native.get("common_name") or name.human_friendly
    entire = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    found = SealCheck(
        True,
        None,
        signer_subject=subject,
        signed_at=status.signer_reported_dt,
        intact=bool(status.intact),
        trusted=bool(status.trusted),
        entire_file=entire,
    )
    if not status.intact:
        return replace(found, ok=False, code="changed")
    if not entire:
        return replace(found, ok=False, code="added_to")
    if not status.trusted:
        return replace(found, ok=False, code="untrusted")
    if not status.bottom_line:
        return replace(found, ok=False, code="invalid")
    return found
