"""Checking a copy of an issued PDF: its seal, and the trusted time in it if any.

:func:`verify_pdf` checks a copy against the trusted certificates and never raises for bad
input; :data:`REASONS` holds the sentence for each way a copy can fail. Sealing and the keys
are :mod:`app.core.seal`'s (which offers these names too).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from io import BytesIO
from typing import Any

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from app.core import timestamps
from app.core.coroutines import run_coroutine
from app.core.i18n import lazy_gettext as _l

log = logging.getLogger("beeldbrug.seal")

SEAL_FIELD = "BeeldbrugSeal"


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
    #: The trusted time of a timestamped seal (PAdES-B-T and beyond), else None.
    timestamp: timestamps.Timestamp | None = None

    @property
    def reason(self) -> Any:
        """The translated sentence for ``code`` (lazy), or None when the seal is fine."""
        return REASONS[self.code] if self.code else None


def looks_like_pdf(data: bytes) -> bool:
    """True when ``data`` starts like a PDF (the header may follow up to 1 KB of junk)."""
    return b"%PDF-" in data[:1024]


def verify_pdf(
    data: bytes,
    school_certs: Sequence[asn1_x509.Certificate],
    timestamp_roots: Sequence[asn1_x509.Certificate] = (),
) -> SealCheck:
    """Check the Beeldbrug seal of ``data`` against ``school_certs`` as the only trust roots.

    A timestamp in the seal is checked against ``timestamp_roots`` (the authorities' roots,
    trusted for timestamps only) and reported with its time and authority; a timestamp that
    is damaged or from an authority not trusted makes the seal not valid.

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
        ts_context = ValidationContext(trust_roots=list(timestamp_roots), allow_fetching=False)
        status = run_coroutine(
            lambda: async_validate_pdf_signature(
                signature, context, ts_validation_context=ts_context
            )
        )
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
        timestamp=_timestamp_of(status),
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


def _timestamp_of(status: Any) -> timestamps.Timestamp | None:
    stamp = status.timestamp_validity
    if stamp is None or stamp.signing_cert is None:
        return None
    return timestamps.Timestamp(
        at=stamp.timestamp,
        authority=timestamps.name_of(stamp.signing_cert),
        trusted=bool(stamp.intact and stamp.valid and stamp.trusted),
    )
