"""Telling people about consent: asking signers who have not answered, telling coaches of a
withdrawal, of a disagreement between guardians, and of a pupil who reached the consent age."""

from __future__ import annotations

from datetime import date

from huey import crontab
from sqlalchemy import select

from app.circle.models import Child, Role, User
from app.circle.policy import members_with
from app.consent import rules
from app.consent.models import ConsentRecord, Purpose, SignerRole
from app.consent.rules import ConsentStatus
from app.consent.services.status import signers, status
from app.consent.services.texts import ensure_published_template, text_in
from app.core import audit
from app.core.clock import local_date
from app.core.db import DbSession, db, utcnow
from app.core.jobs import periodic_job
from app.core.links import absolute_url
from app.core.mail import queue_mail, render_mail


def coaches_of(session: DbSession, child: Child) -> list[User]:
    """The child's coaches now. Raises nothing beyond database errors."""
    return list(session.scalars(members_with(child, Role.COACH)))


def _child_link(child: Child, endpoint: str = "consent.overview") -> str:
    return absolute_url(endpoint, child_id=child.id)


def tell_coaches(
    session: DbSession,
    child: Child,
    record: ConsentRecord,
    before: ConsentStatus,
    after: ConsentStatus,
) -> None:
    """Mail the child's coaches what ``record`` changed that they must act on: a withdrawal
    (in words of its own: it is not a disagreement), or parts that became a disagreement
    between guardians. Raises nothing beyond mail and database errors."""
    withdrawn = [p for p in Purpose if p.value in (record.withdrawn or [])]
    new = [p for p in after.disagreements if p not in before.disagreements]
    for mail, purposes in (("consent_withdrawn", withdrawn), ("consent_disagreement", new)):
        if purposes:
            _mail_coaches(session, child, record, mail, purposes)
    if new:
        audit.record(
            session,
            "consent_disagreement",
            child=child,
            data={"purposes": [p.value for p in new]},
        )


def _mail_coaches(
    session: DbSession, child: Child, record: ConsentRecord, mail: str, purposes: list[Purpose]
) -> None:
    for coach in coaches_of(session, child):
        labels = text_in(record.template, coach.preferred_language)["purposes"]
        queue_mail(
            session,
            render_mail(
                mail,
                to=coach.email,
                language=coach.preferred_language,
                coach=coach,
                child=child,
                signer=record.signer,
                guardian=record.signer_role is SignerRole.GUARDIAN,
                labels=[labels[p]["label"] for p in purposes],
                link=_child_link(child),
            ),
        )


def request_consent(session: DbSession, child: Child, *, actor: User) -> list[User]:
    """Ask every signer who has not answered yet, by e-mail. Returns who was asked; raises
    nothing beyond mail and database errors."""
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


def notify_consent_age(session: DbSession, today: date | None = None) -> int:
    """Tell the coaches of every child who reached the consent age (once per child).

    From that day the pupil decides about consent; earlier answers of the parents no longer
    count. Returns how many children were reported.
    """
    today = today or local_date()
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
                    link=_child_link(child, "children.show"),
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


@periodic_job(crontab(hour="6", minute="30"))
def daily_consent_age() -> int:
    """Every morning: mail the coaches of children who reached the consent age today (each
    child once) (:func:`notify_consent_age`)."""
    told = notify_consent_age(db.session)
    db.session.commit()
    return told
