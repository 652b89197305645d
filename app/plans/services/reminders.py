"""The coach's two reminders about a child's plan, each mailed once per sent version:

- the yearly evaluation is due: a year after the date of the plan in force (Dutch law asks
  for an evaluation with the parents at least once a year);
- a sent version has waited two weeks for an answer: no parent signed an answer on it or
  wrote their view since.

A periodic job claims each by inserting its :class:`PlanReminder` (unique per version and
kind) before queueing the mail, so a second run, or two at once, send nothing more.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app, url_for
from huey import crontab
from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from app.circle.models import Child, Membership, Role, User
from app.circle.policy import active_membership_clause
from app.core import audit
from app.core.clock import local_date
from app.core.db import DbSession, db, utcnow
from app.core.jobs import periodic_job
from app.core.mail import queue_mail, render_mail
from app.plans.models import PlanAnswer, PlanParentView, PlanReminder, PlanVersion, ReminderKind

#: How long a sent version waits for the parents' answer before the coach is reminded.
ANSWER_WAIT = timedelta(days=14)


def a_year_before(day: date) -> date:
    """The same date a year earlier (28 February for a 29th)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _in_force() -> ColumnElement[bool]:
    """SQL for "this sent version is its child's newest"."""
    newer = aliased(PlanVersion)
    return PlanVersion.published_at.is_not(None) & ~exists().where(
        newer.child_id == PlanVersion.child_id,
        newer.published_at.is_not(None),
        newer.version > PlanVersion.version,
    )


def _not_reminded(kind: ReminderKind) -> ColumnElement[bool]:
    return ~exists().where(
        PlanReminder.plan_version_id == PlanVersion.id, PlanReminder.kind == kind
    )


def evaluation_due(session: DbSession, now: datetime) -> list[PlanVersion]:
    """The plans in force dated a year or more before today, not yet reminded of."""
    last_year = a_year_before(local_date(now))
    kind = ReminderKind.EVALUATION_DUE
    return list(
        session.scalars(
            select(PlanVersion)
            .where(_in_force(), PlanVersion.plan_date <= last_year, _not_reminded(kind))
            .order_by(PlanVersion.id)
        )
    )


def waiting_for_answer(session: DbSession, now: datetime) -> list[PlanVersion]:
    """The plans in force sent two weeks or more ago that no parent answered (signed an
    answer on it, or wrote their view since it was sent), not yet reminded of."""
    answered = exists().where(
        PlanParentView.child_id == PlanVersion.child_id,
        PlanParentView.updated_at >= PlanVersion.published_at,
    ) | exists().where(PlanAnswer.plan_version_id == PlanVersion.id)
    kind = ReminderKind.ANSWER_WAITING
    return list(
        session.scalars(
            select(PlanVersion)
            .where(
                _in_force(),
                PlanVersion.published_at <= now - ANSWER_WAIT,
                ~answered,
                _not_reminded(kind),
            )
            .order_by(PlanVersion.id)
        )
    )


def _coaches(session: DbSession, child_id: int, now: datetime) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.child_id == child_id,
                Membership.role == Role.COACH,
                active_membership_clause(now),
            )
            .order_by(User.id)
        )
    )


def _claim(session: DbSession, version: PlanVersion, kind: ReminderKind, now: datetime) -> bool:
    try:
        with session.begin_nested():
            session.add(PlanReminder(plan_version_id=version.id, kind=kind, sent_at=now))
            session.flush()
    except IntegrityError:
        return False  # another run claimed it
    return True


def _remind(
    session: DbSession, versions: list[PlanVersion], kind: ReminderKind, now: datetime
) -> int:
    sent = 0
    for version in versions:
        if not _claim(session, version, kind, now):
            continue
        child = session.get(Child, version.child_id)
        assert child is not None
        link = current_app.config["BASE_URL"].rstrip("/") + url_for("plans.show", child_id=child.id)
        for coach in _coaches(session, child.id, now):
            queue_mail(
                session,
                render_mail(
                    f"plan_{kind.value}",
                    to=coach.email,
                    language=coach.preferred_language,
                    person=coach,
                    child=child,
                    version=version,
                    link=link,
                ),
            )
        audit.record(session, f"plan_reminder_{kind.value}", child=child.id, obj=version)
        sent += 1
    return sent


def send_reminders(session: DbSession, now: datetime | None = None) -> int:
    """Remind the coaches of every plan whose evaluation is due and of every sent version
    that waited two weeks for an answer; each version and kind once. Returns how many
    reminders (per version and kind) were sent."""
    now = now or utcnow()
    due = _remind(session, evaluation_due(session, now), ReminderKind.EVALUATION_DUE, now)
    waiting = waiting_for_answer(session, now)
    return due + _remind(session, waiting, ReminderKind.ANSWER_WAITING, now)


@periodic_job(crontab(minute="40"))
def hourly_plan_reminders() -> int:
    """Every hour: remind coaches of plans to evaluate and of sent versions still waiting
    for the parents' answer, each once (:func:`send_reminders`)."""
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        sent = send_reminders(db.session)
        db.session.commit()
    return sent
