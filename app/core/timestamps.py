"""Trusted time for seals: an RFC 3161 time-stamping authority (TSA), when one is configured.

With ``SIGNING_TSA_URL`` set, every seal carries a timestamp token from that authority over
its signature (PAdES-B-T), and the certificates and revocation data needed to check it later
are embedded in the PDF (PAdES-B-LT). ``SIGNING_TSA_CA_FILE`` names the PEM file with the
authority's root certificate(s): they are trusted for timestamps only, never as a school's
seal. When the authority cannot be reached the seal is made without a timestamp and the log
says so, unless ``SIGNING_TSA_REQUIRED`` is set or the school requires a trusted time: then
sealing is refused.

Without an authority a seal is PAdES-B-B: its time is the one the portal's own clock put in
it, which proves nothing about when it was made.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from flask import current_app
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

log = logging.getLogger("beeldbrug.seal")

DEFAULT_TIMEOUT_S = 10


class TimestampConfigError(RuntimeError):
    """The authority's certificate file cannot be read."""


@dataclass(frozen=True)
class Timestamp:
    """The trusted time in a seal and who vouches for it."""

    at: datetime
    authority: str
    trusted: bool


def authority_url() -> str | None:
    """``SIGNING_TSA_URL``, or None when seals carry no timestamp."""
    url = current_app.config.get("SIGNING_TSA_URL")
    return str(url) if url else None


def is_required(school: Any = None) -> bool:
    """True when a seal without a timestamp must be refused: the installation says so
    (``SIGNING_TSA_REQUIRED``) or ``school`` does (its admin's rule)."""
    return bool(
        current_app.config.get("SIGNING_TSA_REQUIRED")
        or getattr(school, "seals_need_timestamp", False)
    )


def timestamper() -> TimeStamper | None:
    """A client of the configured authority, or None when there is none."""
    url = authority_url()
    if url is None:
        return None
    timeout = int(current_app.config.get("SIGNING_TSA_TIMEOUT_S") or DEFAULT_TIMEOUT_S)
    return RequestsHTTPTimeStamper(url, timeout=timeout)  # type: ignore[no-untyped-call]


def authority_roots() -> list[asn1_x509.Certificate]:
    """The certificates ``SIGNING_TSA_CA_FILE`` holds (PEM or DER); none when it is unset.

    Raises TimestampConfigError when the file is set but cannot be read.
    """
    path = current_app.config.get("SIGNING_TSA_CA_FILE")
    if not path:
        return []
    try:
        data = Path(path).read_bytes()
        if pem.detect(data):
            return [asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(data, True)]
        return [asn1_x509.Certificate.load(data)]
    except (OSError, ValueError) as error:
        raise TimestampConfigError(f"SIGNING_TSA_CA_FILE {path} cannot be read") from error


def name_of(certificate: asn1_x509.Certificate) -> str:
    """The name a person recognises an authority by: its common name, else the whole name."""
    subject = certificate.subject
    common: str | None = subject.native.get("common_name")
    return common or str(subject.human_friendly)
