"""Sealing issued PDFs with the school's key, the keys themselves, and verifying a copy.

Sealing
    :func:`seal_pdf` adds a PAdES baseline signature (``/ETSI.CAdES.detached``) with
    pyHanko: B-B, or B-LT with a timestamp when a time-stamping authority is configured
    (:mod:`app.core.timestamps`). Either way it is a simple electronic signature sealed by the
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
    :func:`verify_pdf` (from :mod:`app.core.seal_check`, offered here too) checks a copy
    against the trusted certificates and never raises for bad input; :data:`REASONS` holds
    the sentence for each way a copy can fail.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from flask import current_app
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference
from pyhanko.sign.timestamps import TimeStamper
from pyhanko_certvalidator import ValidationContext

from app.core import timestamps
from app.core.coroutines import run_coroutine
from app.core.files import DIR_MODE, atomic_write
from app.core.seal_check import REASONS as REASONS
from app.core.seal_check import SEAL_FIELD as SEAL_FIELD
from app.core.seal_check import SealCheck as SealCheck
from app.core.seal_check import looks_like_pdf as looks_like_pdf
from app.core.seal_check import verify_pdf as verify_pdf

log = logging.getLogger("beeldbrug.seal")

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
    """Seal ``pdf`` with ``school``'s key; returns the sealed PDF.

    With a time-stamping authority configured (:mod:`app.core.timestamps`) the seal is
    PAdES-B-LT: a timestamp token over the signature and the validation data embedded. When the
    authority fails, the seal is made as PAdES-B-B and a warning is logged, or, with
    ``SIGNING_TSA_REQUIRED`` or a school that requires a trusted time, SigningError is raised.
    Without an authority: PAdES-B-B (refused too for a school that requires a timestamp).

    Raises SigningError when the key cannot be had, and pyHanko's errors (PdfReadError and
    others) for input that is not a PDF it can update.
    """
    material = material_for(school)
    stamper = timestamps.timestamper()
    if stamper is None and timestamps.is_required(school):
        log.error("seal refused: the school requires a timestamp and no authority is set")
        raise SigningError("no time-stamping authority is configured")
    if stamper is not None:
        try:
            return _sign(pdf, school, material, reason, location, stamper)
        except Exception as error:  # the authority or its answer: many kinds of error
            if timestamps.is_required(school):
                log.error(
                    "seal refused: the time-stamping authority %s failed (%s), and a "
                    "timestamp is required",
                    timestamps.authority_url(),
                    type(error).__name__,
                )
                raise SigningError("the time-stamping authority could not be reached") from error
            log.warning(
                "sealed WITHOUT a timestamp: the time-stamping authority %s failed (%s: %s)",
                timestamps.authority_url(),
                type(error).__name__,
                str(error)[:200],
            )
    return _sign(pdf, school, material, reason, location, None)


def _sign(
    pdf: bytes,
    school: Any,
    material: SigningMaterial,
    reason: str,
    location: str | None,
    stamper: TimeStamper | None,
) -> bytes:
    long_term: dict[str, Any] = {}
    if stamper is not None:
        context = ValidationContext(
            trust_roots=[*material.trust, *timestamps.authority_roots()],
            allow_fetching=True,
        )
        long_term = {
            "embed_validation_info": True,
            "validation_context": context,
            # The validation data in the signature's own revision: the seal still covers
            # the entire file, and a reader that does not analyse incremental updates
            # (poppler) checks it all the same.
            "dss_settings": DSSContentSettings(
                placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE,
                include_vri=False,
            ),
        }
    meta = signers.PdfSignatureMetadata(
        field_name=SEAL_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=str(reason),
        location=str(location) if location else None,
        name=str(school.name),
        **long_term,
    )
    out = BytesIO()
    signer = signers.PdfSigner(meta, signer=material.signer, timestamper=stamper)
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    run_coroutine(lambda: signer.async_sign_pdf(writer, output=out))
    return out.getvalue()
