"""Two people editing one meeting or one agenda note never overwrite each other: the second
save is refused with a clear message, their text stays in the form, and nothing changes."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from app.circle.audience import Audience
from app.circle.models import Membership, Role
from app.circle.policy import seat_for
from app.core.concurrency import StaleEditError
from app.core.db import db
from app.meetings.models import AgendaItem, Meeting
from app.meetings.services import agenda, planning
from tests.support.meetings import edit_form


@pytest.fixture
def second_coach(circle, make_user):
    coach = make_user("Tweede Coach", staff=True)
    db.session.add(Membership(child_id=circle.child.id, user_id=coach.id, role=Role.COACH))
    db.session.commit()
    return coach


def form_version(page: str) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)


def test_the_second_save_of_a_meeting_is_refused_and_keeps_its_text(
    app, client, login_as, circle, planned, second_coach, mailbox
):
    url = f"/children/{circle.child.id}/meetings/{planned.id}/edit?lang=en"
    invitees = [circle.coach, circle.teacher, circle.parent]
    other = app.test_client()
    login_as(circle.coach)
    login_as(second_coach, on=other)
    mine = form_version(client.get(url).get_data(as_text=True))
    theirs = form_version(other.get(url).get_data(as_text=True))
    assert mine == theirs

    first = client.post(url, data=edit_form(planned, invitees, place="Lokaal 5", version=mine))
    assert first.status_code == 302
    mailbox.clear()

    mine_text = "Online, via de link in de mail"
    second = other.post(url, data=edit_form(planned, invitees, place=mine_text, version=theirs))
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert "Someone else saved a change here while you were editing" in page
    assert f'value="{mine_text}"' in page  # their text, kept to merge by hand
    assert "Lokaal 5" in page  # what is saved now, beside it
    db.session.expire_all()
    assert db.session.get(Meeting, planned.id).place == "Lokaal 5"
    assert mailbox.messages == []  # nothing was sent for the refused save

    # Merged by hand and saved again from the page they got back: this time it goes through.
    again = other.post(
        url, data=edit_form(planned, invitees, place=mine_text, version=form_version(page))
    )
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(Meeting, planned.id).place == mine_text


def test_a_form_without_its_version_is_refused(client, login_as, circle, planned):
    login_as(circle.coach)
    url = f"/children/{circle.child.id}/meetings/{planned.id}/edit?lang=en"
    data = edit_form(planned, [circle.parent], place="Ergens anders", version="")
    assert client.post(url, data=data).status_code == 409
    db.session.expire_all()
    assert db.session.get(Meeting, planned.id).place == "Lokaal 12"


def test_a_stale_cancellation_is_refused(client, login_as, circle, planned):
    login_as(circle.coach)
    url = f"/children/{circle.child.id}/meetings/{planned.id}/cancel?lang=en"
    response = client.post(url, data={"version": str(planned.version - 1)})
    assert response.status_code == 400
    assert "Someone else saved a change" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Meeting, planned.id).is_planned


def test_two_saves_at_the_same_moment_are_caught_at_the_write(app, circle, planned):
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        meeting = db.session.get(Meeting, planned.id)
        seat = seat_for(circle.coach, circle.child)
        # Another process writes between this one's check and its UPDATE.
        db.session.execute(
            update(Meeting.__table__)
            .where(Meeting.__table__.c.id == meeting.id)
            .values(version=meeting.version + 1, place="Elders")
        )
        data = planning.MeetingData(
            kind=meeting.kind,
            day=meeting.starts_at.astimezone(planning.display_zone()).date(),
            start=meeting.starts_at.astimezone(planning.display_zone()).time(),
            end=meeting.ends_at.astimezone(planning.display_zone()).time(),
            place="Hier",
            guiding_question=meeting.guiding_question,
            invitee_ids=frozenset({circle.parent.id}),
        )
        with pytest.raises(StaleEditError):
            planning.update_meeting(db.session, seat, meeting, data, version=meeting.version)
        db.session.rollback()


def test_the_second_save_of_a_note_is_refused_and_keeps_its_text(
    app, client, login_as, circle, planned, second_coach, make_clip
):
    clip = make_clip(circle.child, circle.coach, audience=Audience.CIRCLE)
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        seat = seat_for(circle.coach, circle.child)
        meeting = db.session.get(Meeting, planned.id)
        item = agenda.add_item(
            db.session, seat, meeting, agenda.ItemData(f"clip-{clip.id}", None, "Eerste versie")
        )
        db.session.commit()
        item_id = item.id
    url = f"/children/{circle.child.id}/meetings/{planned.id}/agenda/{item_id}/edit?lang=en"
    other = app.test_client()
    login_as(circle.coach)
    login_as(second_coach, on=other)
    version = form_version(client.get(url).get_data(as_text=True))
    form_version(other.get(url).get_data(as_text=True))
    saved = client.post(url, data={"prep_note": "Van de eerste coach", "version": version})
    assert saved.status_code == 302
    refused = other.post(url, data={"prep_note": "Van de tweede coach", "version": version})
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "Van de tweede coach" in page and "Van de eerste coach" in page
    db.session.expire_all()
    assert db.session.get(AgendaItem, item_id).prep_note == "Van de eerste coach"
