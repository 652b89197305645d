"""Telling the people who answer on a plan that a version was sent to them: each guardian in
the circle, and from 16 the pupil, gets a mail in their own language with a link to the
version's page, where they read it and give their answer. The mail holds the child's name and
the version's number, never a word of the plan. Mails leave after the transaction commits,
through the job queue (``app.core.mail``)."""

from __future__ import annotations

from flask import current_app, url_for

from app.circle.policy import Seat
from app.core import audit
from app.core.db import DbSession
from app.core.mail import queue_mail, render_mail
from app.plans.models import PlanVersion
from app.plans.services.answerers import answerers


def version_link(version: PlanVersion) -> str:
    """The version's page, as a mail gives it."""
    base: str = current_app.config["BASE_URL"].rstrip("/")
    return base + url_for("plans.version", child_id=version.child_id, plan_version_id=version.id)


def ask_to_answer(session: DbSession, seat: Seat, version: PlanVersion) -> None:
    """Mail everyone who answers on ``seat``'s child's plan that ``version`` was sent, and log
    that each was asked (the answer's evidence page lists it). Needs a request context (the
    link). Raises nothing beyond mail and database errors."""
    child = seat.child
    for person in answerers(session, child):
        queue_mail(
            session,
            render_mail(
                "plan_sent",
                to=person.email,
                language=person.preferred_language,
                person=person,
                child=child,
                version=version,
                link=version_link(version),
            ),
        )
        audit.record(
            session,
            "plan_answer_requested",
            actor=seat.user,
            child=child,
            obj=person,
            data={"signer_id": person.id, "version": version.version},
        )
