"""Telling invitees about a meeting by mail: the invitation (and every update) with its
calendar file, the cancellation, and one reminder the day before.

Each mail is rendered in its recipient's own interface language and holds what every invitee
may read: never a preparation note. Mails leave after the transaction commits
(``app.core.mail``), through the job queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta

from flask import current_app, url_for
from huey import crontab
from sqlalchemy import Table, select, update

from app.circle.models import Membership, User
from app.circle.policy import active_membership_clause
from app.core import audit
from app.core.clock import display_zone, local_date
from app.core.db import DbSession, db, utcnow
from app.core.jobs import periodic_job
from app.core.mail import Attachment, queue_mail, render_mail
from app.meetings.models import Meeting, MeetingInvitee, MeetingState
from app.meetings.services import calendar

#: The meetings table itself (see :func:`send_reminders`).
MEETINGS: Table = Meeting.__table__  # type: ignore[assignment]

#: The name the calendar file has in a mail and as a download.
FILENAME = "beeldbrug-meeting.ics"


def meeting_link(meeting: Meeting) -> str:
    """The meeting page's address, as mails and calendar files give it."""
    base: str = current_app.config["BASE_URL"].rstrip("/")
    return base + url_for("meetings.show", child_id=meeting.child_id, meeting_id=meeting.id)


def calendar_for(meeting: Meeting, method: str, language: str, attendees: Sequence[User]) -> bytes:
    """The calendar file of ``meeting`` in ``language`` (see ``calendar.calendar_file``)."""
    return calendar.calendar_file(
        meeting,
        organizer=meeting.organizer,
        attendees=attendees,
        method=method,
        language=language,
        link=meeting_link(meeting),
    )


def _attachment(
    meeting: Meeting, method: str, person: User, attendees: Sequence[User]
) -> Attachment:
    data = calendar_for(meeting, method, person.preferred_language, attendees)
    return Attachment(FILENAME, data.decode("utf-8"), calendar.mimetype(method))


def send_invitations(
    session: DbSession, meeting: Meeting, people: Sequence[User], *, update: bool = False
) -> None:
    """Mail ``people`` the invitation to ``meeting`` (``update``: its change) with a calendar
    REQUEST listing every invitee. Raises nothing beyond mail and database errors."""
    attendees = _attendees(session, meeting)
    for person in people:
        queue_mail(
            session,
            render_mail(
                "meeting_notice",
                to=person.email,
                language=person.preferred_language,
                attachments=(_attachment(meeting, calendar.REQUEST, person, attendees),),
                notice="changed" if update else "invitation",
                person=person,
                meeting=meeting,
                child=meeting.child,
                link=meeting_link(meeting),
            ),
        )


def send_cancellations(
    session: DbSession, meeting: Meeting, people: Sequence[User], *, partial: bool = False
) -> None:
    """Mail ``people`` that ``meeting`` is cancelled (``partial``: for them only, they are no
    longer invited) with a calendar CANCEL. Raises nothing beyond mail and database errors."""
    for person in people:
        attendees = [person] if partial else _attendees(session, meeting)
        queue_mail(
            session,
            render_mail(
                "meeting_notice",
                to=person.email,
                language=person.preferred_language,
                attachments=(_attachment(meeting, calendar.CANCEL, person, attendees),),
                notice="uninvited" if partial else "cancelled",
                person=person,
                meeting=meeting,
                child=meeting.child,
            ),
        )


def _attendees(session: DbSession, meeting: Meeting) -> list[User]:
    """The invitees still in the child's circle: someone removed since hears no more of it."""
    return list(
        session.scalars(
            select(User)
            .join(MeetingInvitee, MeetingInvitee.user_id == User.id)
            .join(
                Membership,
                (Membership.user_id == User.id) & (Membership.child_id == meeting.child_id),
            )
            .where(MeetingInvitee.meeting_id == meeting.id, active_membership_clause())
            .order_by(User.name, User.id)
            .distinct()
        )
    )


def send_reminders(session: DbSession, now: datetime | None = None) -> int:
    """Mail every invitee of each planned meeting that starts tomorrow on the school's
    calendar a reminder, once per meeting (``reminder_sent_at``, claimed before sending, so
    two runs at once never send twice). Returns how many meetings were reminded."""
    now = now or utcnow()
    zone = display_zone()
    tomorrow = local_date(now) + timedelta(days=1)
    start = datetime.combine(tomorrow, time.min, tzinfo=zone)
    end = datetime.combine(tomorrow + timedelta(days=1), time.min, tzinfo=zone)
    due = session.scalars(
        select(Meeting)
        .where(
            Meeting.state == MeetingState.PLANNED,
            Meeting.reminder_sent_at.is_(None),
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
        )
        .order_by(Meeting.starts_at, Meeting.id)
    ).all()
    reminded = 0
    for meeting in due:
        # The table, not the mapped class: a reminder is not an edit and leaves the meeting's
        # version alone (someone editing it meanwhile can still save).
        claimed = session.execute(
            update(MEETINGS)
            .where(MEETINGS.c.id == meeting.id, MEETINGS.c.reminder_sent_at.is_(None))
            .values(reminder_sent_at=now)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        for person in _attendees(session, meeting):
            queue_mail(
                session,
                render_mail(
                    "meeting_notice",
                    to=person.email,
                    language=person.preferred_language,
                    notice="reminder",
                    person=person,
                    meeting=meeting,
                    child=meeting.child,
                    link=meeting_link(meeting),
                ),
            )
        audit.record(session, "meeting_reminder_sent", child=meeting.child_id, obj=meeting)
        reminded += 1
    return reminded


@periodic_job(crontab(minute="15"))
def hourly_meeting_reminders() -> int:
    """Every hour: remind the invitees of tomorrow's meetings, each meeting once
    (:func:`send_reminders`)."""
    # Links in the mails are built as in a request to BASE_URL: a job has none of its own.
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        reminded = send_reminders(db.session)
        db.session.commit()
    return reminded
