"""A time-stamping authority (RFC 3161) on loopback, for the tests of timestamped seals.

A root certificate and a time-stamping certificate under it (extended key usage
timeStamping, critical; RSA, as the dummy signs with nothing else), made with
``cryptography``; pyHanko's ``DummyTimeStamper`` answers
the requests, wrapped in a few lines of WSGI and served by werkzeug in a thread, so the portal
reaches it over HTTP as it would a real authority.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from asn1crypto import keys, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from werkzeug.serving import make_server

AUTHORITY_NAME = "Beeldbrug Test TSA"


@dataclass
class Authority:
    url: str
    root_pem: Path
    root: asn1_x509.Certificate
    requests: list[bytes]


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificates() -> tuple[x509.Certificate, x509.Certificate, rsa.RSAPrivateKey]:
    now = datetime.now(UTC) - timedelta(days=1)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = (
        x509.CertificateBuilder()
        .subject_name(_name("Beeldbrug Test TSA Root"))
        .issuer_name(_name("Beeldbrug Test TSA Root"))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(root_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(AUTHORITY_NAME))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
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
        .sign(root_key, hashes.SHA256())
    )
    return root, leaf, key


def _as_asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


@contextmanager
def local_authority(folder: Path) -> Iterator[Authority]:
    """Serve a time-stamping authority on loopback for the duration of the block."""
    root, leaf, key = _certificates()
    stamper = DummyTimeStamper(
        tsa_cert=_as_asn1(leaf),
        tsa_key=keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
        certs_to_embed=[_as_asn1(root)],
    )
    seen: list[bytes] = []

    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        seen.append(body)
        answer = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
        start_response(
            "200 OK",
            [("Content-Type", "application/timestamp-reply"), ("Content-Length", str(len(answer)))],
        )
        return [answer]

    root_pem = folder / "tsa-root.pem"
    root_pem.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    server = make_server("127.0.0.1", 0, wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Authority(
            url=f"http://127.0.0.1:{server.server_port}/tsa",
            root_pem=root_pem,
            root=_as_asn1(root),
            requests=seen,
        )
    finally:
        server.shutdown()
        thread.join(timeout=5)
