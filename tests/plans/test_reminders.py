"""The coach's reminders about a plan, run by the scheduled job at pinned clocks: two weeks
after a version was sent without a parent's answer, and a year after the plan's date; each
mailed once."""

from __future__ import annotations

from datetime import time, timedelta

import time_machine

from app.core.db import db
from app.plans.services import reminders
from tests.support.meetings import local
from tests.support.plans import sent_plan


def run(app) -> int:
    with app.app_context():
        return reminders.hourly_plan_reminders.call_local()


def test_a_sent_version_without_an_answer_is_reminded_once_after_two_weeks(app, circle, mailbox):
    version, _item = sent_plan(app, circle.child, circle.coach)
    sent = version.published_at
    mailbox.clear()
    with time_machine.travel(sent + timedelta(days=13), tick=False):
        assert run(app) == 0
    with time_machine.travel(sent + timedelta(days=14, minutes=1), tick=False):
        assert run(app) == 1
        assert run(app) == 0
    with time_machine.travel(sent + timedelta(days=30), tick=False):
        assert run(app) == 0
    mails = mailbox.to(circle.coach.email)
    assert len(mails) == 1
    assert (
        mails[0]["Subject"]
        == "Nog geen antwoord op het ontwikkelingsperspectiefplan van Sem de Boer"
    )
    assert f"/children/{circle.child.id}/plan" in mails[0].get_body(("plain",)).get_content()
    for other in (circle.teacher, circle.parent, circle.parent2):
        assert mailbox.to(other.email) == []


def test_a_parents_view_after_sending_counts_as_an_answer(app, client, login_as, circle, mailbox):
    version, _item = sent_plan(app, circle.child, circle.coach)
    sent = version.published_at
    with time_machine.travel(sent + timedelta(days=2), tick=False):
        login_as(circle.parent)
        response = client.post(
            f"/children/{circle.child.id}/plan/view", data={"text": "Wij zijn het eens."}
        )
        assert response.status_code == 302
    mailbox.clear()
    with time_machine.travel(sent + timedelta(days=15), tick=False):
        assert run(app) == 0
    assert mailbox.messages == []


def test_the_yearly_evaluation_is_reminded_once(app, circle, mailbox):
    version, _item = sent_plan(app, circle.child, circle.coach)
    # Answered, so only the evaluation is due later.
    db.session.execute(
        reminders.PlanReminder.__table__.insert().values(
            plan_version_id=version.id, kind="answer_waiting", sent_at=version.published_at
        )
    )
    db.session.commit()
    mailbox.clear()
    day = version.plan_date
    a_year_on = (
        day.replace(year=day.year + 1)
        if not (day.month == 2 and day.day == 29)
        else day.replace(year=day.year + 1, day=28)
    )
    with time_machine.travel(local(a_year_on - timedelta(days=1), time(23, 0)), tick=False):
        assert run(app) == 0
    with time_machine.travel(local(a_year_on, time(0, 40)), tick=False):
        assert run(app) == 1
        assert run(app) == 0
    mails = mailbox.to(circle.coach.email)
    assert [m["Subject"] for m in mails] == [
        "Tijd om het ontwikkelingsperspectiefplan van Sem de Boer te evalueren"
    ]
