"""Signing and withdrawing consent: each is a new signed, sealed record (the shared pieces of
:mod:`app.core.signing`), effective at once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from flask_babel import force_locale

from app.circle.models import Child, User
from app.consent.models import (
    PURPOSES,
    Answer,
    ConsentRecord,
    ConsentTemplate,
    Purpose,
    RecordKind,
    SignatureMethod,
)
from app.consent.services.documents import issue_pdf
from app.consent.services.notices import tell_coaches
from app.consent.services.status import (
    latest_records,
    signer_role_for,
    signers,
    status,
    withdrawable,
)
from app.consent.services.texts import published_template, text_in, text_shown
from app.core import audit
from app.core.db import DbSession, utcnow
from app.core.errors import RefusedError
from app.core.i18n import gettext as _
from app.core.i18n import lazy_gettext as _l
from app.core.signing import Evidence, OpenedForm, Signature, signed_fields, store_once
from app.documents.services import documents_about

#: The kinds of signing form consent has, each with its own token salt.
SIGN_FORM = "consent-sign"
WITHDRAW_FORM = "consent-withdraw"

ALREADY_SAVED = _l("Your answers were already saved.")
TEXT_CHANGED = _l(
    "The consent text has changed since you opened it. Read the new text and answer again."
)


def sign(
    session: DbSession,
    child: Child,
    signer: User,
    *,
    template: ConsentTemplate,
    language: str,
    answers: Mapping[Purpose, Answer],
    typed_name: str,
    signature: Signature,
    opened_at: datetime,
    nonce: str,
    evidence: Evidence,
) -> ConsentRecord:
    """Store a signer's answers for ``child`` as a new signed record, and issue its PDF.

    Raises RefusedError when the template is not the one now in force (field ``template``),
    the signer does not decide for this child, a purpose is unanswered, the name or the
    signature is missing, and AlreadyStoredError (field ``nonce``) when this form was already
    submitted. Raises what issuing the PDF raises.
    """
    if template.id != getattr(published_template(session, child.school_id), "id", None):
        raise RefusedError(TEXT_CHANGED, field="template")
    _check_signer(session, child, signer)
    missing = [p for p in PURPOSES if p not in answers]
    if missing:
        raise RefusedError(_l("Answer yes or no for every part."), field=missing[0].value)
    shown = text_shown(template, language)
    record = ConsentRecord(
        child_id=child.id,
        signer_role=signer_role_for(child),
        kind=RecordKind.CONSENT,
        template_id=template.id,
        template_version=template.version,
        language=language,
        answers={p.value: Answer(answers[p]).value for p in PURPOSES},
        withdrawn=[],
        **signed_fields(
            signer,
            shown=shown,
            typed_name=typed_name,
            signature=signature,
            opened=OpenedForm(opened_at, nonce, {}),
            evidence=evidence,
        ),
    )
    return _store(session, child, signer, record, "consent_signed")


def withdraw(
    session: DbSession,
    child: Child,
    signer: User,
    purposes: Iterable[Purpose],
    *,
    nonce: str,
    evidence: Evidence,
    opened_at: datetime | None = None,
) -> ConsentRecord:
    """Withdraw the signer's yes for ``purposes``: a new signed record, effective at once.

    Raises RefusedError when the signer does not decide for this child or granted none of
    ``purposes``, and AlreadyStoredError (field ``nonce``) when this form was already sent.
    """
    _check_signer(session, child, signer)
    granted = withdrawable(session, child, signer)
    targets = [p for p in purposes if p in granted]
    if not targets:
        raise RefusedError(_l("There is no consent of yours to withdraw here."))
    previous = latest_records(session, child, [signer.id])[signer.id]
    answers = dict(previous.answers)
    for purpose in targets:
        answers[purpose.value] = Answer.NO.value
    record = ConsentRecord(
        child_id=child.id,
        signer_role=signer_role_for(child),
        kind=RecordKind.WITHDRAWAL,
        template_id=previous.template_id,
        template_version=previous.template_version,
        language=previous.language,
        answers=answers,
        withdrawn=[p.value for p in targets],
        **signed_fields(
            signer,
            shown=withdrawal_text(session, child, signer, targets, previous),
            typed_name=signer.name,
            signature=Signature(SignatureMethod.CONFIRMED),
            opened=OpenedForm(opened_at or utcnow(), nonce, {}),
            evidence=evidence,
        ),
    )
    return _store(session, child, signer, record, "consent_withdrawn")


def withdrawal_text(
    session: DbSession, child: Child, signer: User, purposes: list[Purpose], previous: ConsentRecord
) -> str:
    """The statement a withdrawal record holds, in the language of the earlier consent; it
    names the earlier record and the SHA-256 of that record's PDF."""
    labels = text_in(previous.template, previous.language)["purposes"]
    earlier = documents_about(session, previous)
    earlier_pdf = earlier[-1].sha256 if earlier else None
    with force_locale(previous.language):
        lines = [
            _("%(name)s withdraws consent for %(child)s for:", name=signer.name, child=child.name),
            *[f"- {labels[p]['label']}" for p in purposes],
            _("This takes effect at once. Recordings used only for these parts are destroyed."),
            _(
                "Earlier consent: record %(id)s of %(date)s.",
                id=previous.id,
                date=previous.signed_at.date().isoformat(),
            ),
        ]
        if earlier_pdf:
            lines.append(_("SHA-256 of its PDF: %(sha)s", sha=earlier_pdf))
    return "\n".join(lines)


def _check_signer(session: DbSession, child: Child, signer: User) -> None:
    if signer.id not in {u.id for u in signers(session, child)}:
        raise RefusedError(_l("You do not decide about consent for this child."))


def _store(
    session: DbSession, child: Child, signer: User, record: ConsentRecord, action: str
) -> ConsentRecord:
    before = status(session, child)
    store_once(session, record, message=ALREADY_SAVED)
    # What the signer read and answered is about the family: it goes to the erasable part of
    # the log; the chained part keeps the version, the text's hash and how it was signed.
    opened: dict[str, Any] = {
        "opened_at": record.opened_at.isoformat(),
        "version": record.template_version,
    }
    audit.record(
        session,
        "consent_opened",
        actor=signer,
        child=child,
        obj=record,
        data=opened,
        personal={"language": record.language},
    )
    audit.record(
        session,
        action,
        actor=signer,
        child=child,
        obj=record,
        data={
            "text_sha256": record.text_sha256,
            "version": record.template_version,
            "sign_in_method": record.sign_in_method.value,
            "signature": record.signature_method.value,
        },
        personal={"answers": record.answers, "withdrawn": record.withdrawn},
    )
    issue_pdf(session, record, actor=signer)
    tell_coaches(session, child, record, before, status(session, child))
    return record
