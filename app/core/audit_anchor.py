"""Anchors of the audit chain: its head, sealed with the school's key, kept outside the database.

The chain (:mod:`app.core.audit`) shows an edited or deleted event only to someone who cannot
rewrite it. Whoever owns the database can: recompute every hash from the changed event on and
the chain verifies again. So every day (:func:`app.documents.tasks.anchor_audit_chain`) and on
demand (``flask audit-anchor``) the chain's length and last hash are signed with the school's
seal key into a small JSON file in media storage (``audit-anchors/``), and the act is recorded
as an audit event. The key lives in the signing folder, not in the database: a database owner
can neither forge an anchor nor change one without its signature failing.

:func:`verify_anchors` reads every anchor file (the folder, not the database, says which exist)
and checks the event at each anchored position still has the sealed hash. Events after the last
anchor are covered by no anchor yet: the report names that range, which cannot be proven.

File format: ``{"payload": {...}, "certificate": base64 DER, "signature": base64}``; the
signature (ECDSA or RSA PKCS#1 v1.5, SHA-256) is over the payload's canonical JSON.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from sqlalchemy import func, select

from app.core import audit, seal, storage
from app.core.audit import AuditChain, AuditEvent
from app.core.db import DbSession, utcnow

log = logging.getLogger("beeldbrug.audit")

FOLDER = "audit-anchors"
KIND = "beeldbrug-audit-anchor"


class AnchorRefused(RuntimeError):
    """No anchor was made: the chain is empty or does not verify (the message says which)."""


@dataclass(frozen=True)
class Anchor:
    """One sealed head of the chain, as read from its file."""

    name: str
    length: int
    head: str
    last_event_id: int
    made_at: datetime


@dataclass
class AnchorReport:
    """What the anchors say about the chain in the database."""

    anchors: int = 0
    problems: list[str] = field(default_factory=list)
    #: The events no anchor covers yet (first and last id, and how many), else None.
    unanchored: tuple[int, int, int] | None = None
    last_anchor: Anchor | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def make_anchor(session: DbSession, school: Any) -> Anchor:
    """Seal the head of the chain with ``school``'s key into a new anchor file and record it.

    The whole chain is verified first: a broken chain is not anchored. Raises AnchorRefused
    when the chain is empty or broken, seal.SigningError when the key cannot be had, OSError
    when the file cannot be written. The audit event is added to ``session`` (commit it).
    """
    report = audit.verify(session)
    if not report.ok:
        raise AnchorRefused(f"the audit chain does not verify: {report.problem}")
    head = session.get(AuditChain, 1)
    last = session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    if head is None or last is None or head.length == 0:
        raise AnchorRefused("the audit chain is empty: nothing to anchor")
    made_at = utcnow()
    length, head_hash = head.length, head.last_hash
    payload = {
        "kind": KIND,
        "version": 1,
        "length": length,
        "head": head_hash,
        "last_event_id": last.id,
        "made_at": made_at.isoformat(timespec="seconds"),
    }
    material = seal.material_for(school)
    key = serialization.load_der_private_key(material.signer.signing_key.dump(), password=None)
    message = audit.canonical(payload).encode()
    if isinstance(key, ec.EllipticCurvePrivateKey):
        signature = key.sign(message, ec.ECDSA(hashes.SHA256()))
    elif isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    else:
        raise seal.SigningError("the seal key is neither EC nor RSA")
    document = {
        "payload": payload,
        "certificate": base64.b64encode(material.certificate.dump()).decode(),
        "signature": base64.b64encode(signature).decode(),
    }
    stored = storage.store_bytes(
        json.dumps(document, indent=1).encode(), folder=FOLDER, suffix=".json"
    )
    audit.record(
        session, "audit.anchored", data={"length": length, "head": head_hash, "file": stored.key}
    )
    log.info("audit chain anchored at %d events in %s", length, stored.key)
    return Anchor(stored.key, length, head_hash, last.id, made_at)


def _read(name: str, data: bytes, trusted: set[bytes]) -> Anchor:
    """The anchor in one file; raises ValueError with what is wrong with it."""
    try:
        document = json.loads(data)
        payload = document["payload"]
        certificate = x509.load_der_x509_certificate(base64.b64decode(document["certificate"]))
        signature = base64.b64decode(document["signature"])
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        raise ValueError("it cannot be read as an anchor") from error
    fingerprint = certificate.fingerprint(hashes.SHA256())
    if fingerprint not in trusted:
        raise ValueError("it was not signed with a key of this installation")
    public = certificate.public_key()
    message = audit.canonical(payload).encode()
    try:
        if isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        elif isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        else:
            raise ValueError("its key is neither EC nor RSA")
    except InvalidSignature as error:
        raise ValueError(
            "it was changed after it was signed (the signature does not match)"
        ) from error
    try:
        if payload["kind"] != KIND:
            raise ValueError("it is not an audit anchor")
        return Anchor(
            name,
            int(payload["length"]),
            str(payload["head"]),
            int(payload["last_event_id"]),
            datetime.fromisoformat(payload["made_at"]),
        )
    except (KeyError, TypeError) as error:
        raise ValueError("it cannot be read as an anchor") from error


def read_anchors() -> tuple[list[Anchor], list[str]]:
    """Every anchor file in media storage, oldest head first, and a sentence for each file
    that is not a valid anchor."""
    folder = storage.storage().root / FOLDER
    trusted = {bytes(c.sha256) for c in seal.trusted_certificates()}
    anchors: list[Anchor] = []
    problems: list[str] = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        name = f"{FOLDER}/{path.name}"
        try:
            anchors.append(_read(name, path.read_bytes(), trusted))
        except (OSError, ValueError) as error:
            problems.append(f"anchor file {name} is not valid: {error}")
    anchors.sort(key=lambda a: (a.length, a.made_at))
    return anchors, problems


def verify_anchors(session: DbSession) -> AnchorReport:
    """Check the chain in the database against every anchor file; never raises for a bad file.

    For each anchor the event at its position must carry the hash it sealed: a chain rewritten
    up to there, or cut short, is reported with the anchor's date. The events after the last
    anchor are reported as the range no anchor covers.
    """
    anchors, problems = read_anchors()
    report = AnchorReport(anchors=len(anchors), problems=problems)
    total = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    for anchor in anchors:
        when = anchor.made_at.strftime("%Y-%m-%d %H:%M UTC")
        if total < anchor.length:
            report.problems.append(
                f"the chain holds {total} events, but the anchor of {when} ({anchor.name}) "
                f"sealed {anchor.length}: events were deleted"
            )
            continue
        found = session.scalar(
            select(AuditEvent.hash).order_by(AuditEvent.id).offset(anchor.length - 1).limit(1)
        )
        if found != anchor.head:
            report.problems.append(
                f"the chain was rewritten: event {anchor.length} in order does not carry the "
                f"hash sealed in the anchor of {when} ({anchor.name})"
            )
    covered = max((a.length for a in anchors), default=0)
    report.last_anchor = anchors[-1] if anchors else None
    if total > covered:
        first = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id).offset(covered))
        last = session.scalar(select(func.max(AuditEvent.id)))
        if first is not None and last is not None:
            report.unanchored = (first, last, total - covered)
    return report
