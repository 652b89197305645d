"""The reminder the day before: sent once per meeting, by the scheduled job, at pinned clocks."""

from __future__ import annotations

from datetime import time, timedelta

import time_machine
from sqlalchemy import select

from app.circle.models import Membership
from app.core.db import db, utcnow
from app.meetings.models import Meeting
from app.meetings.services import notices
from tests.support.meetings import days_ahead, local, plan


def reminders_of(app):
    """The hourly job's own function, run here in the test app (outside any app context a job
    runs in the app bound last, which another test may have built)."""

    def run() -> int:
        with app.app_context():
            return notices.hourly_meeting_reminders.call_local()

    return run


def test_the_reminder_goes_out_the_day_before_and_only_once(app, circle, mailbox):
    day = days_ahead(10)
    meeting = plan(app, circle.child, circle.coach, [circle.teacher, circle.parent], day=day)
    mailbox.clear()
    job = reminders_of(app)

    with time_machine.travel(local(day - timedelta(days=2), time(18, 0)), tick=False):
        assert job() == 0  # two days ahead: not yet
    with time_machine.travel(local(day - timedelta(days=1), time(7, 15)), tick=False):
        assert job() == 1
        assert job() == 0  # the next run, an hour later or at once: nothing again
    with time_machine.travel(local(day - timedelta(days=1), time(23, 15)), tick=False):
        assert job() == 0
    for person in (circle.teacher, circle.parent):
        mails = mailbox.to(person.email)
        assert len(mails) == 1
        assert mails[0]["Subject"].startswith("Morgen: Gezamenlijke beeldbespreking over")
    assert mailbox.to(circle.specialist.email) == []
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).reminder_sent_at is not None


def test_a_cancelled_meeting_is_not_reminded(app, client, login_as, circle, mailbox):
    day = days_ahead(10)
    meeting = plan(app, circle.child, circle.coach, [circle.parent], day=day)
    login_as(circle.coach)
    url = f"/children/{circle.child.id}/meetings/{meeting.id}/cancel"
    assert client.post(url, data={"version": str(meeting.version)}).status_code == 302
    mailbox.clear()
    with time_machine.travel(local(day - timedelta(days=1), time(9, 15)), tick=False):
        assert reminders_of(app)() == 0
    assert mailbox.messages == []


def test_a_reminder_leaves_the_meeting_editable(app, client, login_as, circle):
    day = days_ahead(10)
    meeting = plan(app, circle.child, circle.coach, [circle.parent], day=day)
    version = meeting.version
    with time_machine.travel(local(day - timedelta(days=1), time(9, 15)), tick=False):
        assert reminders_of(app)() == 1
    db.session.expire_all()
    # The coach's form, opened before the reminder went, still saves.
    assert db.session.get(Meeting, meeting.id).version == version


def test_someone_removed_from_the_circle_hears_no_more(app, circle, mailbox):

    day = days_ahead(10)
    plan(app, circle.child, circle.coach, [circle.teacher, circle.parent], day=day)
    membership = db.session.scalar(
        select(Membership).where(
            Membership.child_id == circle.child.id, Membership.user_id == circle.parent.id
        )
    )
    membership.active_until = utcnow()
    db.session.commit()
    mailbox.clear()
    with time_machine.travel(local(day - timedelta(days=1), time(9, 15)), tick=False):
        assert reminders_of(app)() == 1
    assert mailbox.to(circle.parent.email) == []
    assert len(mailbox.to(circle.teacher.email)) == 1
