"""Preparing the agenda: fragments and moments in order (moved by real form posts), pairs of a
home and a school fragment, what a parents' agenda refuses and why, and the questions
invitees bring beforehand."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.circle.audience import Audience
from app.clips.models import Moment, Source, Tag
from app.core.db import db
from app.meetings.models import AgendaItem, Meeting, MeetingContribution, MeetingInvitee
from app.meetings.services import notices
from tests.support.meetings import edit_form, plan


@pytest.fixture
def footage(circle, planned, make_clip):
    """A school fragment and a home fragment everyone in the circle sees, a school clip only
    the team sees, and a moment in the school fragment."""
    school = make_clip(circle.child, circle.coach, audience=Audience.CIRCLE, title="Kring school")
    home = make_clip(
        circle.child, circle.parent, source=Source.HOME, audience=Audience.CIRCLE, title="Thuis"
    )
    team = make_clip(circle.child, circle.teacher, audience=Audience.TEAM, title="Alleen team")
    moment = Moment(
        child_id=circle.child.id,
        clip_id=school.id,
        author_id=circle.coach.id,
        start_s=2.5,
        tag=Tag.SUCCESS,
        audience=Audience.CIRCLE,
    )
    db.session.add(moment)
    db.session.commit()
    return {"school": school, "home": home, "team": team, "moment": moment}


def agenda_url(circle, meeting, tail: str = "") -> str:
    return f"/children/{circle.child.id}/meetings/{meeting.id}/agenda{tail}"


def items(meeting) -> list[AgendaItem]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting.id)
            .order_by(AgendaItem.position)
        )
    )


def item_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AgendaItem))


def add(client, circle, meeting, pick: str, pair: str = "", note: str = ""):
    return client.post(
        agenda_url(circle, meeting) + "?lang=en",
        data={"pick": pick, "pair": pair, "prep_note": note},
    )


def test_the_coach_builds_and_reorders_an_agenda(client, login_as, circle, planned, footage):
    login_as(circle.coach)
    school, home = footage["school"], footage["home"]
    pair = add(client, circle, planned, f"clip-{school.id}", f"clip-{home.id}", "Eerst dit")
    assert pair.status_code == 302
    moment = add(client, circle, planned, f"moment-{footage['moment'].id}")
    assert moment.status_code == 302
    first, second = items(planned)
    assert (first.clip_id, first.pair_clip_id) == (school.id, home.id)
    assert second.moment_id == footage["moment"].id

    page = client.get(agenda_url(circle, planned) + "?lang=en").get_data(as_text=True)
    # Up and down are buttons of real forms: a keyboard and a phone reach them as well.
    assert re.search(r'<button type="submit" name="direction" value="up"', page)
    move = agenda_url(circle, planned, f"/{second.id}/move")
    assert client.post(move, data={"direction": "up"}).status_code == 302
    assert [i.id for i in items(planned)] == [second.id, first.id]
    client.post(move, data={"direction": "up"})  # already first: nothing moves
    assert [i.id for i in items(planned)] == [second.id, first.id]

    remove = agenda_url(circle, planned, f"/{second.id}/remove")
    assert client.post(remove).status_code == 302
    assert [i.id for i in items(planned)] == [first.id]


def test_a_parents_agenda_refuses_what_parents_may_not_see_and_says_why(
    client, login_as, circle, planned, footage
):
    login_as(circle.coach)
    page = client.get(agenda_url(circle, planned) + "?lang=en").get_data(as_text=True)
    assert "Parents are invited to this meeting" in page
    assert "Alleen team</strong>: Only the school team sees this fragment" in page
    before = item_count()
    refused = add(client, circle, planned, f"clip-{footage['team'].id}")
    assert refused.status_code == 400
    assert "Only the school team sees this fragment" in refused.get_data(as_text=True)
    paired = add(
        client, circle, planned, f"clip-{footage['home'].id}", f"clip-{footage['team'].id}"
    )
    assert paired.status_code == 400
    assert item_count() == before


def test_a_team_agenda_takes_team_fragments_but_then_refuses_parents(
    app, client, login_as, circle, footage
):
    team_meeting = plan(app, circle.child, circle.coach, [circle.coach, circle.teacher])
    login_as(circle.coach)
    assert add(client, circle, team_meeting, f"clip-{footage['team'].id}").status_code == 302
    url = f"/children/{circle.child.id}/meetings/{team_meeting.id}/edit?lang=en"
    data = edit_form(team_meeting, [circle.coach, circle.teacher, circle.parent])
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert "before inviting parents" in response.get_data(as_text=True)
    db.session.expire_all()
    invited = db.session.scalars(
        select(MeetingInvitee.user_id).where(MeetingInvitee.meeting_id == team_meeting.id)
    )
    assert set(invited) == {circle.coach.id, circle.teacher.id}


def test_a_fragment_of_another_child_or_nonsense_is_refused(
    client, login_as, circle, planned, footage, make_child, make_clip
):
    other = make_child("Ander Kind", coach=circle.coach)
    theirs = make_clip(other, circle.coach, audience=Audience.CIRCLE)
    login_as(circle.coach)
    before = item_count()
    for pick in (f"clip-{theirs.id}", "clip-abc", "moment-999999", ""):
        response = add(client, circle, planned, pick)
        assert response.status_code == 400
        assert "Choose a fragment or moment of Sem de Boer from the list." in response.get_data(
            as_text=True
        )
    assert item_count() == before


def test_a_pair_comes_from_two_settings(client, login_as, circle, planned, footage, make_clip):
    other_school = make_clip(circle.child, circle.coach, audience=Audience.CIRCLE, title="Gym")
    login_as(circle.coach)
    response = add(
        client, circle, planned, f"clip-{footage['school'].id}", f"clip-{other_school.id}"
    )
    assert response.status_code == 400
    assert "one from home beside one from school" in response.get_data(as_text=True)
    assert item_count() == 0


SECRET = "Let op: juf twijfelt over de aanpak"


def test_staff_only_notes_never_reach_a_parent(
    app, client, login_as, circle, planned, footage, mailbox
):
    login_as(circle.coach)
    add(client, circle, planned, f"clip-{footage['school'].id}", note=SECRET)
    client.post("/sign-out")

    login_as(circle.teacher)  # the school side reads it
    teacher_page = client.get(f"/children/{circle.child.id}/meetings/{planned.id}")
    assert SECRET in teacher_page.get_data(as_text=True)
    client.post("/sign-out")

    login_as(circle.parent)
    base = f"/children/{circle.child.id}"
    for url in (
        f"{base}/meetings/{planned.id}",
        f"{base}/meetings/{planned.id}?lang=en",
        f"{base}/meetings",
        base,
        f"{base}/meetings/{planned.id}/calendar.ics",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert SECRET not in response.get_data(as_text=True), url
    page = client.get(f"{base}/meetings/{planned.id}?lang=en").get_data(as_text=True)
    assert "Kring school" in page  # the item itself is there, without its note
    for url in (f"{base}/meetings/{planned.id}/agenda", f"{base}/meetings/{planned.id}/edit"):
        assert client.get(url).status_code == 403

    # Every mail a parent gets about the meeting: a change, then the reminder.
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        meeting = db.session.get(Meeting, planned.id)
        notices.send_invitations(db.session, meeting, [circle.parent], update=True)
        db.session.commit()
    for message in mailbox.to(circle.parent.email):
        assert SECRET not in message.as_string()
        for part in message.walk():
            payload = part.get_payload(decode=True)
            if payload:
                assert SECRET.encode() not in payload


def test_invitees_bring_questions_beforehand(client, login_as, circle, planned):
    url = f"/children/{circle.child.id}/meetings/{planned.id}"
    login_as(circle.parent)
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "Your question or observation" in page
    response = client.post(url + "/contributions", data={"text": "Thuis praat hij veel meer."})
    assert response.status_code == 302
    empty = client.post(url + "/contributions?lang=en", data={"text": "   "})
    assert empty.status_code == 400
    assert "Please fill in this field." in empty.get_data(as_text=True)
    client.post("/sign-out")

    login_as(circle.teacher)
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "Thuis praat hij veel meer." in page and circle.parent.name in page
    client.post("/sign-out")

    login_as(circle.specialist)  # sees the meeting, is not invited: brings nothing
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "Your question or observation" not in page
    assert client.post(url + "/contributions", data={"text": "Ik ook"}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(MeetingContribution)) == 1


def test_no_questions_after_a_cancellation(client, login_as, circle, planned):
    login_as(circle.coach)
    url = f"/children/{circle.child.id}/meetings/{planned.id}"
    client.post(url + "/cancel", data={"version": str(planned.version)})
    client.post("/sign-out")
    login_as(circle.parent)
    response = client.post(url + "/contributions?lang=en", data={"text": "Nog een vraag"})
    assert response.status_code == 400
    assert "only before the meeting" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(MeetingContribution)) == 0
