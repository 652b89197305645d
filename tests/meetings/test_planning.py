"""Planning a meeting through its form: stored, invitations mailed in each person's own
language, and bad input refused with a clear message and nothing stored."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.core.db import db
from app.meetings.models import Meeting, MeetingInvitee, MeetingState
from tests.support.meetings import AMSTERDAM, calendar_in, days_ahead, event_of


def meeting_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Meeting))


def form(circle, **values):
    data = {
        "kind": "shared_review",
        "day": days_ahead(7).isoformat(),
        "start": "10:00",
        "end": "11:00",
        "place": "Lokaal 12",
        "guiding_question": "Wat heeft Sem nodig om mee te doen in de kring?",
        "invitees": [str(circle.coach.id), str(circle.teacher.id), str(circle.parent.id)],
    }
    data.update(values)
    return data


def test_the_form_offers_the_childs_guiding_question_and_the_circle(client, login_as, circle):
    login_as(circle.coach)
    page = client.get(f"/children/{circle.child.id}/meetings/new?lang=en").get_data(as_text=True)
    assert circle.child.guiding_question in page
    for person in (circle.teacher, circle.specialist, circle.parent, circle.parent2):
        assert person.name in page


def test_a_coach_plans_a_meeting_and_the_invitees_are_mailed(client, login_as, circle, mailbox):
    circle.parent.preferred_language = "en"
    db.session.commit()
    login_as(circle.coach)
    response = client.post(f"/children/{circle.child.id}/meetings/new", data=form(circle))
    assert response.status_code == 302
    meeting = db.session.scalar(select(Meeting).where(Meeting.child_id == circle.child.id))
    assert meeting.state is MeetingState.PLANNED
    assert meeting.starts_at.astimezone(AMSTERDAM).hour == 10
    invited = set(
        db.session.scalars(
            select(MeetingInvitee.user_id).where(MeetingInvitee.meeting_id == meeting.id)
        )
    )
    assert invited == {circle.coach.id, circle.teacher.id, circle.parent.id}
    assert mailbox.to(circle.specialist.email) == []
    english = mailbox.last_to(circle.parent.email)
    assert english["Subject"].startswith("Invitation: Shared review about")
    dutch = mailbox.last_to(circle.teacher.email)
    assert dutch["Subject"].startswith("Uitnodiging: Gezamenlijke beeldbespreking over")
    assert str(event_of(calendar_in(english))["SUMMARY"]).startswith("Shared review")
    page = client.get(response.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "Lokaal 12" in page and circle.parent.name in page


def refused(client, circle, message: str, **values) -> None:
    before = meeting_count()
    response = client.post(
        f"/children/{circle.child.id}/meetings/new?lang=en", data=form(circle, **values)
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert meeting_count() == before


def test_a_meeting_in_the_past_is_refused(client, login_as, circle):
    login_as(circle.coach)
    yesterday = days_ahead(-1).isoformat()
    refused(client, circle, "This moment has passed", day=yesterday)


def test_an_end_before_the_start_is_refused(client, login_as, circle):
    login_as(circle.coach)
    refused(client, circle, "The end must come after the start.", start="11:00", end="10:30")


def test_an_invitee_outside_the_circle_is_refused(
    client, login_as, circle, make_user, make_child, mailbox
):
    stranger = make_user("Ouder van een ander kind")
    make_child("Ander Kind", parents=(stranger,))
    login_as(circle.coach)
    invitees = [str(circle.coach.id), str(stranger.id)]
    refused(client, circle, "Only people in the circle of", invitees=invitees)
    assert mailbox.to(stranger.email) == []


def test_missing_and_malformed_fields_are_refused(client, login_as, circle):
    login_as(circle.coach)
    refused(client, circle, "Please fill in this field.", place="")
    refused(client, circle, "Invite at least one person.", invitees=[])
    refused(client, circle, "Enter a time like 10:30.", start="tien uur")
    refused(
        client, circle, "Plan a meeting at most two years ahead.", day=days_ahead(800).isoformat()
    )


def test_a_removed_member_is_no_longer_offered_nor_accepted(client, login_as, circle):
    from app.circle.models import Membership
    from app.core.db import utcnow

    membership = db.session.scalar(
        select(Membership).where(
            Membership.child_id == circle.child.id, Membership.user_id == circle.parent2.id
        )
    )
    membership.active_until = utcnow() - timedelta(minutes=1)
    db.session.commit()
    login_as(circle.coach)
    page = client.get(f"/children/{circle.child.id}/meetings/new").get_data(as_text=True)
    assert circle.parent2.name not in page
    refused(client, circle, "Only people in the circle of", invitees=[str(circle.parent2.id)])


def test_the_childs_page_shows_upcoming_meetings_to_whom_they_concern(
    client, login_as, circle, planned
):
    login_as(circle.parent)
    page = client.get(f"/children/{circle.child.id}?lang=en").get_data(as_text=True)
    assert f"/meetings/{planned.id}" in page
    client.post("/sign-out")
    login_as(circle.parent2)  # not invited: sees no meeting
    page = client.get(f"/children/{circle.child.id}?lang=en").get_data(as_text=True)
    assert f"/meetings/{planned.id}" not in page
    assert "No meeting planned for you." in page
    assert client.get(f"/children/{circle.child.id}/meetings/{planned.id}").status_code == 404
