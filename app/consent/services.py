"""Consent: templates, signing, withdrawing, the status per purpose, and the signed PDF.

Other features ask one question: :func:`allows` (is this purpose granted for this child now?).
Services take the acting user explicitly, flush, audit, and leave the commit to the caller.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth.models import SignInMethod, User
from app.consent import rules
from app.consent.default_texts import DEFAULT_RETENTION_MONTHS, DEFAULT_TEXTS
from app.consent.models import (
    PURPOSES,
    Answer,
    ConsentRecord,
    ConsentTemplate,
    Purpose,
    RecordKind,
    SignatureMethod,
    SignerRole,
)
from app.consent.rules import ConsentStatus
from app.core import audit
from app.core.access import active_membership_clause
from app.core.audit import AuditEvent, AuditPersonal
from app.core.db import db, utcnow
from app.core.errors import RefusedError
from app.core.mail import queue_mail, render_mail
from app.documents.models import Document, DocumentKind
from app.documents.services import issue_document
from app.people.models import Child, Membership, Role, School

SIGNATURE_MAX_BYTES = 400_000
SIGNATURE_MAX_SIDE = 2400


# --- templates ------------------------------------------------------------------------------


def published_template(session: Session, school: School | int) -> ConsentTemplate | None:
    """The school's current consent text: its newest published version."""
    school_id = school if isinstance(school, int) else school.id
    return session.scalar(
        select(ConsentTemplate)
        .where(ConsentTemplate.school_id == school_id, ConsentTemplate.published_at.is_not(None))
        .order_by(ConsentTemplate.version.desc())
        .limit(1)
    )


def draft_template(session: Session, school: School) -> ConsentTemplate | None:
    """The school's draft waiting to be published, if there is one."""
    return session.scalar(
        select(ConsentTemplate).where(
            ConsentTemplate.school_id == school.id, ConsentTemplate.published_at.is_(None)
        )
    )


def template_versions(session: Session, school: School) -> list[ConsentTemplate]:
    """Every version of the school's text, newest first."""
    return list(
        session.scalars(
            select(ConsentTemplate)
            .where(ConsentTemplate.school_id == school.id)
            .order_by(ConsentTemplate.version.desc())
        )
    )


def max_retention_months() -> int:
    return int(current_app.config["CONSENT_MAX_RETENTION_MONTHS"])


def ensure_published_template(
    session: Session, school: School, *, actor: User | None
) -> ConsentTemplate:
    """The school's published text; on first use, the shipped default is published as v1."""
    template = published_template(session, school)
    if template is not None:
        return template
    months = min(DEFAULT_RETENTION_MONTHS, max_retention_months())
    template = ConsentTemplate(
        school_id=school.id,
        version=_next_version(session, school),
        texts=copy.deepcopy(DEFAULT_TEXTS),
        retention_months=months,
        created_by_id=actor.id if actor else None,
        published_at=utcnow(),
        published_by_id=actor.id if actor else None,
    )
    session.add(template)
    session.flush()
    audit.record(
        session,
        "consent_template_published",
        actor=actor,
        obj=template,
        data={"version": template.version, "default": True},
    )
    return template


def _next_version(session: Session, school: School) -> int:
    current = session.scalar(
        select(func.max(ConsentTemplate.version)).where(ConsentTemplate.school_id == school.id)
    )
    return (current or 0) + 1


def start_draft(session: Session, school: School, *, actor: User) -> ConsentTemplate:
    """A new draft copied from the current text (or the shipped default). One draft at a time."""
    existing = draft_template(session, school)
    if existing is not None:
        return existing
    base = published_template(session, school)
    draft = ConsentTemplate(
        school_id=school.id,
        version=_next_version(session, school),
        texts=copy.deepcopy(base.texts if base else DEFAULT_TEXTS),
        retention_months=base.retention_months if base else DEFAULT_RETENTION_MONTHS,
        created_by_id=actor.id,
    )
    session.add(draft)
    session.flush()
    audit.record(
        session, "consent_template_drafted", actor=actor, obj=draft, data={"version": draft.version}
    )
    return draft


def update_draft(
    session: Session,
    draft: ConsentTemplate,
    texts: Mapping[str, Any],
    retention_months: int,
    *,
    actor: User,
) -> None:
    """Replace a draft's texts and retention term. Raises RefusedError for a published version."""
    if draft.is_published:
        raise RefusedError(_l("A published version cannot be changed. Start a new draft."))
    if not 1 <= retention_months <= max_retention_months():
        raise RefusedError(
            _l("Choose a retention term from 1 to %(max)d months.", max=max_retention_months()),
            field="retention_months",
        )
    draft.texts = copy.deepcopy(dict(texts))
    draft.retention_months = retention_months
    audit.record(
        session, "consent_template_edited", actor=actor, obj=draft, data={"version": draft.version}
    )


def publish(session: Session, draft: ConsentTemplate, *, actor: User) -> None:
    """Publish a draft: from now on new signers read this version, and it never changes."""
    if draft.is_published:
        raise RefusedError(_l("This version is already published."))
    missing = [
        lang for lang in current_app.config["LANGUAGES"] if not _complete(draft.texts.get(lang))
    ]
    if missing:
        raise RefusedError(_l("Fill in every text in every language before publishing."))
    draft.published_at = utcnow()
    draft.published_by_id = actor.id
    audit.record(
        session,
        "consent_template_published",
        actor=actor,
        obj=draft,
        data={"version": draft.version},
    )


def _complete(text: Mapping[str, Any] | None) -> bool:
    if not text or not text.get("title") or not text.get("intro"):
        return False
    purposes = text.get("purposes") or {}
    return all(
        (purposes.get(p.value) or {}).get("label")
        and (purposes.get(p.value) or {}).get("explanation")
        for p in PURPOSES
    )


def text_in(template: ConsentTemplate, language: str) -> dict[str, Any]:
    """The template's text in ``language`` (Dutch when it lacks that language), months filled in."""
    text = (
        template.texts.get(language)
        or template.texts.get("nl")
        or next(iter(template.texts.values()))
    )
    months = str(template.retention_months)
    return {
        "title": text["title"],
        "intro": text["intro"],
        "purposes": {
            p: {
                "label": text["purposes"][p.value]["label"],
                "explanation": text["purposes"][p.value]["explanation"].replace("{months}", months),
            }
            for p in PURPOSES
        },
        "closing": text.get("closing", ""),
    }


def text_shown(template: ConsentTemplate, language: str) -> str:
    """The exact text a signer reads, as one canonical plain text (what is stored and hashed)."""
    text = text_in(template, language)
    parts = [text["title"], "", text["intro"], ""]
    for n, purpose in enumerate(PURPOSES, start=1):
        parts += [
            f"{n}. {text['purposes'][purpose]['label']}",
            text["purposes"][purpose]["explanation"],
            "",
        ]
    if text["closing"]:
        parts.append(text["closing"])
    parts.append(f"[{template.school_id}/v{template.version}/{language}]")
    return "\n".join(parts)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- who signs, and the status --------------------------------------------------------------


def signer_role_for(child: Child, on: date | None = None) -> SignerRole:
    return rules.signer_role_for(child.date_of_birth, on or utcnow().date())


def signers(session: Session, child: Child, at: datetime | None = None) -> list[User]:
    """The people who decide about consent now: the parents in the circle, or from the
    consent age on the pupil."""
    at = at or utcnow()
    role = Role.PUPIL if signer_role_for(child, at.date()) is SignerRole.PUPIL else Role.PARENT
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.child_id == child.id,
                Membership.role == role,
                active_membership_clause(at),
            )
            .order_by(User.name)
        )
    )


def latest_records(
    session: Session, child: Child, signer_ids: Iterable[int], at: datetime | None = None
) -> dict[int, ConsentRecord]:
    """Each signer's newest record for ``child`` signed at or before ``at``."""
    ids = list(signer_ids)
    if not ids:
        return {}
    stmt = (
        select(ConsentRecord)
        .where(ConsentRecord.child_id == child.id, ConsentRecord.signer_id.in_(ids))
        .order_by(ConsentRecord.signed_at, ConsentRecord.id)
    )
    if at is not None:
        stmt = stmt.where(ConsentRecord.signed_at <= at)
    latest: dict[int, ConsentRecord] = {}
    for record in session.scalars(stmt):
        latest[record.signer_id] = record  # type: ignore[index]
    return latest


def status(session: Session, child: Child, at: datetime | None = None) -> ConsentStatus:
    """The status of every purpose for ``child`` at ``at`` (default: now)."""
    at_time = at or utcnow()
    people = signers(session, child, at_time)
    ids = [u.id for u in people]
    return rules.combine(
        signer_role_for(child, at_time.date()), ids, latest_records(session, child, ids, at)
    )


def allows(child: Child, purpose: Purpose, at: datetime | None = None) -> bool:
    """Is ``purpose`` granted for ``child`` at ``at`` (default: now)? Silence is no.

    The one question every other feature asks before it records, shows or keeps footage.
    """
    return status(db.session, child, at).allows(purpose)


# --- signing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """How and from where a signer acted (stored with the record and in its PDF)."""

    ip_address: str
    user_agent: str
    sign_in_method: SignInMethod


@dataclass(frozen=True)
class Signature:
    method: SignatureMethod
    png: bytes | None = None


def clean_signature_png(data: bytes) -> bytes:
    """Check a drawn signature and re-encode it as a plain PNG (no metadata).

    Raises RefusedError when it is not a PNG, too large, or empty (nothing drawn).
    """
    if not data or len(data) > SIGNATURE_MAX_BYTES or not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise RefusedError(
            _l("Draw your signature in the box, or choose to type it."), field="signature"
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            if max(image.size) > SIGNATURE_MAX_SIDE:
                raise RefusedError(
                    _l("Draw your signature in the box, or choose to type it."), field="signature"
                )
            image = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise RefusedError(
            _l("Draw your signature in the box, or choose to type it."), field="signature"
        ) from exc
    if image.getchannel("A").getbbox() is None:
        raise RefusedError(
            _l("Draw your signature in the box, or choose to type it."), field="signature"
        )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def sign(
    session: Session,
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

    Raises RefusedError when a purpose is unanswered, the name or signature is missing, the
    template is not the one now in force, the signer does not decide for this child, or this
    form was already submitted.
    """
    if template.id != getattr(published_template(session, child.school_id), "id", None):
        raise RefusedError(
            _l(
                "The consent text has changed since you opened it. "
                "Read the new text and answer again."
            ),
            field="template",
        )
    _check_signer(session, child, signer)
    missing = [p for p in PURPOSES if p not in answers]
    if missing:
        raise RefusedError(_l("Answer yes or no for every part."), field=missing[0].value)
    if not typed_name.strip():
        raise RefusedError(_l("Type your full name."), field="typed_name")
    png = None
    if signature.method is SignatureMethod.DRAWN:
        png = clean_signature_png(signature.png or b"")
    record = _new_record(
        child,
        signer,
        kind=RecordKind.CONSENT,
        template=template,
        language=language,
        shown=text_shown(template, language),
        answers={p.value: Answer(answers[p]).value for p in PURPOSES},
        withdrawn=[],
        typed_name=typed_name.strip(),
        signature=Signature(signature.method, png),
        opened_at=opened_at,
        nonce=nonce,
        evidence=evidence,
    )
    return _store(session, child, signer, record, "consent_signed")


def withdrawable(session: Session, child: Child, signer: User) -> list[Purpose]:
    """The purposes ``signer``'s latest record grants for ``child``: what they can withdraw."""
    latest = latest_records(session, child, [signer.id]).get(signer.id)
    return [p for p in PURPOSES if latest is not None and latest.answer(p) is Answer.YES]


def withdraw(
    session: Session,
    child: Child,
    signer: User,
    purposes: Iterable[Purpose],
    *,
    nonce: str,
    evidence: Evidence,
) -> ConsentRecord:
    """Withdraw the signer's yes for ``purposes``: a new signed record, effective at once.

    Raises RefusedError when the signer granted none of them, or this form was already sent.
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
    record = _new_record(
        child,
        signer,
        kind=RecordKind.WITHDRAWAL,
        template=previous.template,
        language=previous.language,
        shown=withdrawal_text(child, signer, targets, previous),
        answers=answers,
        withdrawn=[p.value for p in targets],
        typed_name=signer.name,
        signature=Signature(SignatureMethod.CONFIRMED),
        opened_at=utcnow(),
        nonce=nonce,
        evidence=evidence,
    )
    return _store(session, child, signer, record, "consent_withdrawn")


def _new_record(
    child: Child,
    signer: User,
    *,
    kind: RecordKind,
    template: ConsentTemplate,
    language: str,
    shown: str,
    answers: dict[str, str],
    withdrawn: list[str],
    typed_name: str,
    signature: Signature,
    opened_at: datetime,
    nonce: str,
    evidence: Evidence,
) -> ConsentRecord:
    return ConsentRecord(
        child_id=child.id,
        signer_id=signer.id,
        signer_role=signer_role_for(child),
        kind=kind,
        template_id=template.id,
        template_version=template.version,
        language=language,
        text_shown=shown,
        text_sha256=sha256_text(shown),
        answers=answers,
        withdrawn=withdrawn,
        typed_name=typed_name[:120],
        signature_method=signature.method,
        signature_png=signature.png,
        opened_at=opened_at,
        signed_at=utcnow(),
        ip_address=evidence.ip_address[:64],
        user_agent=evidence.user_agent[:300],
        sign_in_method=evidence.sign_in_method,
        form_nonce=nonce,
    )


def withdrawal_text(
    child: Child, signer: User, purposes: list[Purpose], previous: ConsentRecord
) -> str:
    """The statement a withdrawal record holds, in the language of the earlier consent; it
    names the earlier record and the SHA-256 of that record's PDF."""
    labels = text_in(previous.template, previous.language)["purposes"]
    earlier_pdf = db.session.scalar(
        select(Document.sha256).where(
            Document.subject_type == "ConsentRecord", Document.subject_id == previous.id
        )
    )
    with force_locale(previous.language):
        from flask_babel import gettext as _

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


def _check_signer(session: Session, child: Child, signer: User) -> None:
    if signer.id not in {u.id for u in signers(session, child)}:
        raise RefusedError(_l("You do not decide about consent for this child."))


def _store(
    session: Session, child: Child, signer: User, record: ConsentRecord, action: str
) -> ConsentRecord:
    before = status(session, child)
    if session.scalar(
        select(ConsentRecord.id).where(ConsentRecord.form_nonce == record.form_nonce)
    ):
        raise RefusedError(_l("Your answers were already saved."), field="nonce")
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError as exc:  # a double submit that raced the check above
        raise RefusedError(_l("Your answers were already saved."), field="nonce") from exc
    audit.record(
        session,
        "consent_opened",
        actor=signer,
        child=child,
        obj=record,
        data={
            "opened_at": record.opened_at.isoformat(),
            "version": record.template_version,
            "language": record.language,
        },
    )
    audit.record(
        session,
        action,
        actor=signer,
        child=child,
        obj=record,
        data={
            "answers": record.answers,
            "withdrawn": record.withdrawn,
            "text_sha256": record.text_sha256,
            "version": record.template_version,
            "sign_in_method": record.sign_in_method.value,
            "signature": record.signature_method.value,
        },
    )
    issue_pdf(session, record, actor=signer)
    after = status(session, child)
    new = [p for p in after.disagreements if p not in before.disagreements]
    if new:
        _tell_coaches_of_disagreement(session, child, record.template, new)
    return record


# --- telling people -------------------------------------------------------------------------


def coaches_of(session: Session, child: Child) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.child_id == child.id,
                Membership.role == Role.COACH,
                active_membership_clause(),
            )
        )
    )


def _child_link(child: Child, endpoint: str = "consent.overview") -> str:
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, child_id=child.id)


def _tell_coaches_of_disagreement(
    session: Session, child: Child, template: ConsentTemplate, purposes: list[Purpose]
) -> None:
    for coach in coaches_of(session, child):
        labels = text_in(template, coach.preferred_language)["purposes"]
        queue_mail(
            session,
            render_mail(
                "consent_disagreement",
                to=coach.email,
                language=coach.preferred_language,
                coach=coach,
                child=child,
                labels=[labels[p]["label"] for p in purposes],
                link=_child_link(child),
            ),
        )
    audit.record(
        session, "consent_disagreement", child=child, data={"purposes": [p.value for p in purposes]}
    )


def request_consent(session: Session, child: Child, *, actor: User) -> list[User]:
    """Ask every signer who has not answered yet, by e-mail. Returns who was asked."""
    ensure_published_template(session, child.school, actor=actor)
    current = status(session, child)
    asked = [u for u in signers(session, child) if u.id in current.pending]
    for person in asked:
        queue_mail(
            session,
            render_mail(
                "consent_request",
                to=person.email,
                language=person.preferred_language,
                person=person,
                child=child,
                coach=actor,
                link=_child_link(child, "consent.sign"),
            ),
        )
        audit.record(
            session,
            "consent_requested",
            actor=actor,
            child=child,
            obj=person,
            data={"signer_id": person.id},
        )
    return asked


def notify_consent_age(session: Session, today: date | None = None) -> int:
    """Tell the coaches of every child who reached the consent age (once per child).

    From that day the pupil decides about consent; earlier answers of the parents no longer
    count. Returns how many children were reported.
    """
    today = today or utcnow().date()
    candidates = session.scalars(
        select(Child).where(
            Child.consent_age_notified_at.is_(None),
            Child.date_of_birth <= _years_before(today, rules.CONSENT_AGE),
            (Child.ended_on.is_(None)) | (Child.ended_on >= today),
        )
    ).all()
    told = 0
    for child in candidates:
        if rules.consent_age_on(child.date_of_birth) > today:
            continue
        for coach in coaches_of(session, child):
            queue_mail(
                session,
                render_mail(
                    "consent_age",
                    to=coach.email,
                    language=coach.preferred_language,
                    coach=coach,
                    child=child,
                    link=_child_link(child, "people.child"),
                ),
            )
        child.consent_age_notified_at = utcnow()
        audit.record(session, "consent_age_reached", child=child, obj=child)
        told += 1
    return told


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return date(day.year - years, 2, 28)


# --- the signed PDF -------------------------------------------------------------------------


EVIDENCE_ACTIONS = ("consent_requested", "consent_opened", "consent_signed", "consent_withdrawn")


@dataclass(frozen=True)
class EvidenceEvent:
    what: str
    at: datetime
    who: str
    ip: str
    device: str


def evidence_events(session: Session, record: ConsentRecord) -> list[EvidenceEvent]:
    """Every event behind a record, oldest first: asked, earlier records, opened, signed.

    Read from the audit log (with its erasable personal details), up to this record's own
    signing event.
    """
    own = session.scalar(
        select(func.max(AuditEvent.id)).where(
            AuditEvent.object_type == "ConsentRecord", AuditEvent.object_id == record.id
        )
    )
    rows = session.execute(
        select(AuditEvent, AuditPersonal.details)
        .outerjoin(AuditPersonal, AuditPersonal.event_id == AuditEvent.id)
        .where(
            AuditEvent.child_id == record.child_id,
            AuditEvent.action.in_(EVIDENCE_ACTIONS),
            AuditEvent.id <= (own or 0),
        )
        .order_by(AuditEvent.id)
    ).all()
    names: dict[int | None, str] = {}
    events: list[EvidenceEvent] = []
    for event, details in rows:
        about_signer = (
            event.payload().get("signer_id") == record.signer_id
            if event.action == "consent_requested"
            else event.actor_id == record.signer_id
        )
        if not about_signer:
            continue
        if event.actor_id not in names:
            actor = session.get(User, event.actor_id) if event.actor_id else None
            names[event.actor_id] = actor.name if actor else ""
        personal = json.loads(details) if details else {}
        payload = event.payload()
        # The opening is written when the form comes back signed; it carries when it was opened.
        at = (
            datetime.fromisoformat(payload["opened_at"])
            if "opened_at" in payload
            else event.created_at
        )
        events.append(
            EvidenceEvent(
                what=event.action,
                at=at,
                who=names[event.actor_id],
                ip=personal.get("ip", ""),
                device=personal.get("user_agent", ""),
            )
        )
    return sorted(events, key=lambda e: e.at)


def pdf_values(session: Session, record: ConsentRecord) -> dict[str, Any]:
    """What ``pdf/consent.html`` shows for a record."""
    return {
        "record": record,
        "child": session.get(Child, record.child_id),
        "text": text_in(record.template, record.language),
        "purposes": PURPOSES,
        "evidence": evidence_events(session, record),
        "signer": record.signer,
        "signature_data_uri": (
            "data:image/png;base64," + base64.b64encode(record.signature_png).decode()
            if record.signature_png
            else None
        ),
    }


def pdf_title(record: ConsentRecord) -> str:
    """The document's title, in the record's language."""
    with force_locale(record.language):
        from flask_babel import gettext as _

        if record.kind is RecordKind.CONSENT:
            return _("Consent for video recordings")
        return _("Withdrawal of consent")


def issue_pdf(session: Session, record: ConsentRecord, *, actor: User | None) -> Document:
    """Render, seal, store and record the PDF of a consent record (in the signer's language).

    Raises what ``documents.services.issue_document`` raises; the caller's transaction then
    rolls back with the record, so no record exists without its document.
    """
    values = pdf_values(session, record)
    child = values["child"]
    with force_locale(record.language):
        from flask_babel import gettext as _

        reason = _("Signed consent, sealed by the school")
    return issue_document(
        session,
        school=child.school,
        kind=DocumentKind.CONSENT,
        child=child,
        subject=record,
        title=pdf_title(record),
        template="pdf/consent.html",
        values=values,
        actor=actor,
        reason=reason,
        language=record.language,
    )


def records_of(session: Session, child: Child, signer: User | None = None) -> list[ConsentRecord]:
    """The child's records, newest first; only ``signer``'s when given."""
    stmt = select(ConsentRecord).where(ConsentRecord.child_id == child.id)
    if signer is not None:
        stmt = stmt.where(ConsentRecord.signer_id == signer.id)
    return list(
        session.scalars(stmt.order_by(ConsentRecord.signed_at.desc(), ConsentRecord.id.desc()))
    )
