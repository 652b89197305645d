"""Agreements: made on the meeting's page, refused when they make no sense, carried to the
next meeting to be reviewed, with their history across meetings, overdue to their owner and
the coach, one reminder when due, and the open ones on the child's page."""

from __future__ import annotations

from datetime import time, timedelta

import time_machine
from sqlalchemy import func, select

from app.core.audit import AuditEvent
from app.core.db import db
from app.meetings.models_followup import Agreement, AgreementReview, AgreementStatus
from app.meetings.services import due
from tests.support.meetings import days_ahead, local, plan


def as_(client, login_as, person):
    """Sign out whoever is signed in, and sign ``person`` in."""
    client.post("/sign-out")
    login_as(person)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def agreement_form(who, day, **values):
    data = {
        "text": "Elke ochtend samen de dag doorlopen",
        "party": "school",
        "owner": str(who.id),
        "due_on": day.isoformat(),
    }
    data.update(values)
    return data


def _add(client, meeting, **values):
    url = f"/children/{meeting.child_id}/meetings/{meeting.id}/agreements"
    return client.post(url, data=values)


def test_the_coach_records_an_agreement_on_the_meeting_page(app, client, login_as, circle, planned):
    login_as(circle.coach)
    day = days_ahead(21)
    response = _add(client, planned, **agreement_form(circle.teacher, day))
    assert response.status_code == 302
    agreement = db.session.scalar(select(Agreement))
    assert agreement.owner_id == circle.teacher.id and agreement.status is AgreementStatus.OPEN
    page = client.get(f"/children/{circle.child.id}/meetings/{planned.id}").get_data(as_text=True)
    assert "Elke ochtend samen de dag doorlopen" in page
    assert "Juf Tamara" in page
    events = db.session.scalars(select(AuditEvent.action)).all()
    assert "agreement_made" in events
    # The child's list: on a phone, where its header row is hidden, each value names its column.
    listing = client.get(f"/children/{circle.child.id}/agreements").get_data(as_text=True)
    assert '<td data-label="Partij">School</td>' in listing
    assert '<td data-label="Wie zorgt ervoor">Juf Tamara</td>' in listing


def test_bad_agreements_are_refused_and_nothing_is_stored(
    app, client, login_as, circle, planned, make_user
):
    login_as(circle.coach)
    stranger = make_user("Buiten de Kring")
    day = days_ahead(21)
    cases = [
        (agreement_form(circle.teacher, day, text="   "), "Vul dit veld in."),
        (agreement_form(circle.teacher, days_ahead(1)), "vóór de bespreking"),
        (agreement_form(stranger, day), "Kies iemand uit de kring van"),
        (agreement_form(circle.teacher, day, owner="niemand"), "Kies iemand uit de kring van"),
        (agreement_form(circle.teacher, day, party="buurman"), "Kies school, thuis of coach."),
        (agreement_form(circle.teacher, day, due_on="morgen"), "Vul een datum in"),
    ]
    for data, message in cases:
        response = _add(client, planned, **data)
        assert response.status_code == 400, data
        assert message in response.get_data(as_text=True), (data, message)
    assert _count(Agreement) == 0


def test_a_teacher_or_parent_cannot_record_one(app, client, login_as, circle, planned):
    for person in (circle.teacher, circle.parent):
        as_(client, login_as, person)
        response = _add(client, planned, **agreement_form(circle.teacher, days_ahead(21)))
        assert response.status_code == 403
    assert _count(Agreement) == 0


def _review(client, meeting, agreement, status, note="", version=None):
    url = f"/children/{meeting.child_id}/meetings/{meeting.id}/agreements/{agreement.id}/review"
    prefix = f"review-{agreement.id}-"
    version = agreement.version if version is None else version
    return client.post(
        url, data={prefix + "status": status, prefix + "note": note, prefix + "version": version}
    )


def test_open_agreements_are_reviewed_in_the_next_meetings_with_their_history(
    app, client, login_as, circle, planned
):
    login_as(circle.coach)
    _add(
        client,
        planned,
        **agreement_form(
            circle.parent, days_ahead(14), party="home", text="Voorlezen voor het slapen"
        ),
    )
    agreement = db.session.scalar(select(Agreement))
    second = plan(app, circle.child, circle.coach, [circle.parent], day=days_ahead(28))
    third = plan(app, circle.child, circle.coach, [circle.parent], day=days_ahead(42))

    page = client.get(f"/children/{circle.child.id}/meetings/{second.id}").get_data(as_text=True)
    assert "Eerdere afspraken om te bespreken" in page and "Voorlezen voor het slapen" in page
    assert (
        _review(client, second, agreement, "partly", "Drie avonden van de vijf").status_code == 302
    )
    db.session.expire_all()
    agreement = db.session.get(Agreement, agreement.id)
    assert agreement.status is AgreementStatus.PARTLY

    # Partly done stays open: the third meeting reviews it again, and then it is done.
    page = client.get(f"/children/{circle.child.id}/meetings/{third.id}").get_data(as_text=True)
    assert "Voorlezen voor het slapen" in page
    assert _review(client, third, agreement, "done", "Elke avond").status_code == 302
    db.session.expire_all()
    agreement = db.session.get(Agreement, agreement.id)
    assert agreement.status is AgreementStatus.DONE
    assert _count(AgreementReview) == 2

    page = client.get(f"/children/{circle.child.id}/agreements/{agreement.id}").get_data(
        as_text=True
    )
    assert page.index("Drie avonden van de vijf") < page.index("Elke avond")
    assert "Gedeeltelijk gedaan" in page and "Gedaan" in page

    # A meeting after that has nothing left to review.
    fourth = plan(app, circle.child, circle.coach, [circle.parent], day=days_ahead(56))
    page = client.get(f"/children/{circle.child.id}/meetings/{fourth.id}").get_data(as_text=True)
    assert "Eerdere afspraken om te bespreken" not in page


def test_a_bad_or_stale_review_is_refused(app, client, login_as, circle, planned):
    login_as(circle.coach)
    _add(client, planned, **agreement_form(circle.parent, days_ahead(14)))
    agreement = db.session.scalar(select(Agreement))
    second = plan(app, circle.child, circle.coach, [circle.parent], day=days_ahead(28))
    response = _review(client, second, agreement, "open")
    assert response.status_code == 400
    assert "Kies gedaan, gedeeltelijk gedaan, niet gedaan of vervallen." in response.get_data(
        as_text=True
    )
    old = agreement.version
    assert _review(client, second, agreement, "done", version=old).status_code == 302
    response = _review(client, second, agreement, "dropped", "Mijn tekst", version=old)
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "Mijn tekst" in text and "Iemand anders heeft" in text
    db.session.expire_all()
    assert db.session.get(Agreement, agreement.id).status is AgreementStatus.DONE
    # The meeting it was made in does not review it.
    response = _review(client, planned, agreement, "done")
    assert response.status_code == 400
    assert "geen daarvan" in response.get_data(as_text=True)


def test_overdue_shows_to_the_owner_and_the_coach_only(app, client, login_as, circle, planned):
    login_as(circle.coach)
    due_day = days_ahead(10)
    _add(client, planned, **agreement_form(circle.teacher, due_day))
    agreement = db.session.scalar(select(Agreement))
    url = f"/children/{circle.child.id}/agreements/{agreement.id}"
    with time_machine.travel(local(due_day + timedelta(days=1), time(9, 0)), tick=False):
        for person, shown in ((circle.coach, True), (circle.teacher, True), (circle.parent, False)):
            as_(client, login_as, person)
            page = client.get(url).get_data(as_text=True)
            assert ("achterstallig" in page.lower()) is shown, person.name
            child_page = client.get(f"/children/{circle.child.id}").get_data(as_text=True)
            assert "Elke ochtend samen de dag doorlopen" in child_page
    with time_machine.travel(local(due_day, time(9, 0)), tick=False):
        as_(client, login_as, circle.teacher)
        assert "achterstallig" not in client.get(url).get_data(as_text=True).lower()


def test_the_owner_gets_one_reminder_when_it_falls_due(
    app, client, login_as, circle, planned, mailbox
):
    login_as(circle.coach)
    due_day = days_ahead(10)
    _add(client, planned, **agreement_form(circle.teacher, due_day))
    mailbox.clear()

    def job() -> int:  # in the test app: outside an app context a job runs in the app built last
        with app.app_context():
            return due.hourly_agreement_reminders.call_local()

    with time_machine.travel(local(due_day - timedelta(days=1), time(23, 20)), tick=False):
        assert job() == 0
    with time_machine.travel(local(due_day, time(0, 20)), tick=False):
        assert job() == 1
        assert job() == 0
    with time_machine.travel(local(due_day + timedelta(days=3), time(9, 20)), tick=False):
        assert job() == 0
    mails = mailbox.to(circle.teacher.email)
    assert len(mails) == 1
    assert mails[0]["Subject"].startswith("Vandaag af: een afspraak over")
    assert mailbox.to(circle.coach.email) == [] and mailbox.to(circle.parent.email) == []


def test_agreements_of_another_child_are_not_found(
    app, client, login_as, circle, planned, make_user, make_child
):
    login_as(circle.coach)
    _add(client, planned, **agreement_form(circle.teacher, days_ahead(21)))
    agreement = db.session.scalar(select(Agreement))
    other = make_child("Ander Kind", coach=circle.coach)
    assert client.get(f"/children/{other.id}/agreements/{agreement.id}").status_code == 404
    # A parent who was not invited to the meeting and does not own it does not see it.
    as_(client, login_as, circle.parent2)
    assert client.get(f"/children/{circle.child.id}/agreements/{agreement.id}").status_code == 404
    assert "Elke ochtend" not in client.get(f"/children/{circle.child.id}/agreements").get_data(
        as_text=True
    )
