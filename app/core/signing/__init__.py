"""Shared signing: what any feature needs to let a person sign a record in Beeldbrug.

Consent is the first user; a meeting-summary acknowledgement or a support-plan signature uses
the same pieces, and none of them imports a feature. How a feature signs something:

1. **Model.** ``class Acknowledgement(SignedRecordMixin, Immutable, Base)`` with the feature's
   own columns (``child_id``, what is signed, ...). :class:`SignedRecordMixin` adds the signer,
   the evidence (text or document shown and its SHA-256, sign-in method, IP address, device,
   opened and signed times), the drawn or typed signature and the form's nonce (unique, so one
   form stores at most one record); :class:`Immutable` refuses every update once stored.
2. **Form.** Subclass :class:`SignatureForm` (token, typed name, drawn or typed signature) and
   render it with ``signature_fields(form)`` from ``templates/_macros/signature.html`` (the pad
   is ``static/js/signature-pad.js``; keyboard users type their name instead).
3. **View.** ``outcome = sign_with_form(form, "meeting-ack", {"child": c.id, "user": u.id},
   store=lambda opened: acknowledge(..., opened=opened, evidence=evidence_from_request()),
   done=url_for(...), signed=_("Thank you..."))``, then ``return outcome.response`` when
   there is one, else the page with the form and ``outcome.status``. It opens the form on GET
   (a signed token with the opening time and a fresh nonce, under a salt of its own per kind
   of form, so one kind's token never passes for another's: :func:`open_form`), and on POST
   answers 400 for a missing, forged, expired or someone else's token (:func:`read_form`),
   409 for a ``conflict`` (what is signed changed since it was opened), shows a refusal on
   the form, and turns a double submit (:class:`AlreadyStoredError`) into the redirect with
   the service's "already stored" message.
4. **Service.** ``Acknowledgement(..., **signed_fields(signer, shown=..., typed_name=...,
   signature=..., opened=..., evidence=...))``, then ``store_once(session, record,
   message=...)`` (a double submit raises :class:`AlreadyStoredError`), audit events, and the
   PDF: ``{% from "pdf/_evidence.html" import evidence_page %}`` fed with
   :func:`evidence_events` read back from the audit log.
"""

from app.core.signing.evidence import (
    Evidence,
    EvidenceEvent,
    evidence_events,
    evidence_from_request,
)
from app.core.signing.flow import FORM_EXPIRED, SigningOutcome, sign_with_form
from app.core.signing.forms import (
    FORM_MAX_AGE,
    OpenedForm,
    SignatureForm,
    open_form,
    read_form,
)
from app.core.signing.records import (
    AlreadyStoredError,
    Immutable,
    ImmutableRecordError,
    SignedRecordMixin,
    signed_fields,
    store_once,
)
from app.core.signing.signature import (
    Signature,
    SignatureMethod,
    clean_signature_png,
    png_data_uri,
    sha256_text,
    signature_from_form,
)

__all__ = [
    "FORM_EXPIRED",
    "FORM_MAX_AGE",
    "AlreadyStoredError",
    "Evidence",
    "EvidenceEvent",
    "Immutable",
    "ImmutableRecordError",
    "OpenedForm",
    "Signature",
    "SignatureForm",
    "SignatureMethod",
    "SignedRecordMixin",
    "SigningOutcome",
    "clean_signature_png",
    "evidence_events",
    "evidence_from_request",
    "open_form",
    "png_data_uri",
    "read_form",
    "sha256_text",
    "sign_with_form",
    "signature_from_form",
    "signed_fields",
    "store_once",
]
