"""The one reminder an agreement's owner gets when it falls due.

A periodic job looks for open agreements whose due date has come on the school's calendar
and whose owner has not been reminded; it claims each by inserting its
:class:`AgreementReminder` (unique per agreement) before queueing the mail, so a second run,
or two at once, send nothing more. The agreement itself is not touched: what a finalised
meeting agreed stays as it was.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, url_for
from huey import crontab
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.circle.models import Membership
from app.circle.policy import active_membership_clause
from app.core import audit
from app.core.clock import local_date
from app.core.db import DbSession, db, utcnow
from app.core.jobs import periodic_job
from app.core.mail import queue_mail, render_mail
from app.meetings.models_followup import STILL_OPEN, Agreement, AgreementReminder


def agreement_link(agreement: Agreement) -> str:
    """The agreement page's address, as mails give it."""
    base: str = current_app.config["BASE_URL"].rstrip("/")
    return base + url_for(
        "meetings.agreement", child_id=agreement.child_id, agreement_id=agreement.id
    )


def send_due_reminders(session: DbSession, now: datetime | None = None) -> int:
    """Mail the owner of every open agreement due today or earlier (on the school's
    calendar) one reminder, if they are still in the child's circle; each agreement once.
    Returns how many reminders were sent."""
    now = now or utcnow()
    today = local_date(now)
    in_circle = exists().where(
        Membership.child_id == Agreement.child_id,
        Membership.user_id == Agreement.owner_id,
        active_membership_clause(now),
    )
    reminded_before = exists().where(AgreementReminder.agreement_id == Agreement.id)
    due = session.scalars(
        select(Agreement)
        .where(
            Agreement.status.in_(STILL_OPEN),
            Agreement.due_on <= today,
            Agreement.owner_id.is_not(None),
            in_circle,
            ~reminded_before,
        )
        .options(joinedload(Agreement.owner))
        .order_by(Agreement.due_on, Agreement.id)
    ).all()
    sent = 0
    for agreement in due:
        owner = agreement.owner
        if owner is None:
            continue
        try:
            with session.begin_nested():
                session.add(
                    AgreementReminder(agreement_id=agreement.id, owner_id=owner.id, sent_at=now)
                )
                session.flush()
        except IntegrityError:
            continue  # another run claimed it
        queue_mail(
            session,
            render_mail(
                "agreement_due",
                to=owner.email,
                language=owner.preferred_language,
                person=owner,
                agreement=agreement,
                child=agreement.meeting.child,
                link=agreement_link(agreement),
            ),
        )
        audit.record(session, "agreement_reminder_sent", child=agreement.child_id, obj=agreement)
        sent += 1
    return sent


@periodic_job(crontab(minute="20"))
def hourly_agreement_reminders() -> int:
    """Every hour: remind the owners of agreements that fell due, each agreement once
    (:func:`send_due_reminders`)."""
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        sent = send_due_reminders(db.session)
        db.session.commit()
    return sent
