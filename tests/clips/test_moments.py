"""Marking moments: times within the clip, known tags, the audience one may choose, deleting
one's own, and a school's own labels. Bad input gets a clear message and stores nothing."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from app.circle.audience import Audience
from app.clips.models import Moment, MomentTag, Tag
from app.core.audit import AuditEvent
from app.core.db import db
from app.core.timecode import format_time, parse_time
from tests.support.player import add, moment_texts, page


def url(clip, suffix="/moments"):
    return f"/children/{clip.child_id}/clips/{clip.id}{suffix}"


def moment_count():
    return db.session.scalar(select(func.count()).select_from(Moment))


def post(client, clip, **fields):
    data = {"start": "0:02", "end": "", "tag": "attentive", "text": "", "audience": "team"}
    data.update(fields)
    return client.post(url(clip), data=data)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("75", 75), ("1:15", 75), ("1:15,5", 75.5), ("1:15.25", 75.25), ("0:01:15", 75), (" 4 ", 4)],
)
def test_times_are_read_as_people_type_them(text, seconds):
    assert parse_time(text) == seconds


@pytest.mark.parametrize("text", ["", "1:75", "abc", "-3", "1:2:3:4", "1:60:00", "1e3", "٣"])
def test_other_times_are_refused(text):
    with pytest.raises(ValueError):
        parse_time(text)


def test_times_are_shown_as_they_are_typed():
    assert [format_time(t) for t in (0, 4.5, 75, 3725.04)] == ["0:00", "0:04,5", "1:15", "1:02:05"]


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_a_teacher_marks_a_moment_and_sees_it_in_the_list(client, login_as, circle, make_clip):
    clip = make_clip(circle.child, circle.coach)
    login_as(circle.teacher)
    response = post(
        client, clip, start="0:03,5", end="5", tag="need", text="Zoekt oogcontact\nmet juf"
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{url(clip, '')}?t=3.5#moments")
    moment = db.session.scalar(select(Moment))
    assert (moment.start_s, moment.end_s, moment.tag) == (3.5, 5.0, Tag.NEED)
    assert moment.author_id == circle.teacher.id and moment.audience is Audience.TEAM
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The moment at 0:03.5 is saved." in html
    assert moment_texts(html) == ["Zoekt oogcontact\nmet juf"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "moment_added"))
    assert event.actor_id == circle.teacher.id and event.object_id == moment.id


@pytest.mark.usefixtures("consent_one_parent_in_english")
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"start": "0:07"}, "Choose a time within the clip (0:00 to 0:06)."),
        ({"start": "abc"}, "Write the time as seconds (75) or minutes and seconds (1:15)."),
        ({"start": ""}, "Fill in a time, for example 1:15."),
        ({"start": "0:0\n2"}, "Write this on one line"),
        ({"start": "1" * 13}, "Use at most 12 characters."),
        ({"start": "4", "end": "3"}, "The end must come after the start."),
        ({"start": "4", "end": "4"}, "The end must come after the start."),
        ({"start": "4", "end": "9"}, "The clip ends at 0:06."),
        ({"tag": "brilliant"}, "Choose one of the tags in the list."),
        ({"tag": "own-999"}, "Choose one of the tags in the list."),
        ({"tag": ""}, "Choose one of the tags in the list."),
        ({"text": "x" * 2001}, "Use at most 2000 characters."),
        ({"text": "stil\x00"}, "Remove the invisible characters from this text."),
        ({"audience": "everyone"}, "Choose who sees it."),
    ],
)
def test_bad_input_gets_a_clear_message_and_stores_nothing(
    client, login_as, circle, make_clip, fields, message
):
    clip = make_clip(circle.child, circle.coach)
    login_as(circle.teacher)
    response = post(client, clip, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert moment_count() == 0


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_another_schools_label_is_unknown_here(client, login_as, circle, make_clip, make_school):
    elsewhere = MomentTag(school_id=make_school("Elders").id, label="Van elders")
    db.session.add(elsewhere)
    db.session.commit()
    clip = make_clip(circle.child, circle.coach)
    login_as(circle.teacher)
    response = post(client, clip, tag=f"own-{elsewhere.id}")
    assert "Choose one of the tags in the list." in response.get_data(as_text=True)
    assert moment_count() == 0


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_a_schools_own_label_can_be_chosen(client, login_as, circle, make_clip):
    own = MomentTag(school_id=circle.child.school_id, label="Gevoelens benoemen")
    db.session.add(own)
    db.session.commit()
    clip = make_clip(circle.child, circle.coach)
    login_as(circle.teacher)
    assert "Gevoelens benoemen" in page(client, clip).get_data(as_text=True)
    assert post(client, clip, tag=f"own-{own.id}").status_code == 302
    moment = db.session.scalar(select(Moment))
    assert (moment.tag, moment.custom_tag_id) == (None, own.id)
    assert "Gevoelens benoemen" in moment_texts_and_tags(page(client, clip))


def moment_texts_and_tags(response):
    html = response.get_data(as_text=True)
    return html[html.index('id="moments"') :]


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_only_a_coach_shares_a_moment_with_the_circle(app, client, login_as, circle, make_clip):
    clip = make_clip(circle.child, circle.coach, audience=Audience.CIRCLE)
    login_as(circle.teacher)
    assert 'value="circle"' not in page(client, clip).get_data(as_text=True)
    forged = post(client, clip, audience="circle")
    assert forged.status_code == 400
    assert "Choose who sees it." in forged.get_data(as_text=True)
    assert moment_count() == 0
    coach = login_as(circle.coach, on=app.test_client())
    assert post(coach, clip, audience="circle").status_code == 302
    assert db.session.scalar(select(Moment.audience)) is Audience.CIRCLE


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_extra_fields_cannot_change_the_author_or_the_child(
    client, login_as, circle, make_clip, make_child
):
    other = make_child("Ander Kind", coach=circle.coach)
    clip = make_clip(circle.child, circle.coach)
    login_as(circle.teacher)
    response = post(client, clip, author_id=circle.coach.id, child_id=other.id, clip_id=999, id=77)
    assert response.status_code == 302
    moment = db.session.scalar(select(Moment))
    assert moment.author_id == circle.teacher.id
    assert (moment.child_id, moment.clip_id) == (circle.child.id, clip.id)
    assert moment.id != 77


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_a_parent_may_not_mark_moments(client, login_as, circle, make_clip):
    clip = make_clip(circle.child, circle.coach, audience=Audience.CIRCLE)
    login_as(circle.parent)
    assert post(client, clip).status_code == 403
    assert moment_count() == 0


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_another_childs_clip_in_the_url_is_not_found(
    client, login_as, circle, make_clip, make_child
):
    other = make_child("Ander Kind", coach=circle.coach, teachers=(circle.teacher,))
    their_clip = make_clip(other, circle.coach)
    login_as(circle.teacher)
    response = client.post(
        f"/children/{circle.child.id}/clips/{their_clip.id}/moments",
        data={"start": "1", "tag": "attentive", "audience": "team"},
    )
    assert response.status_code == 404
    assert moment_count() == 0


# --- deleting -------------------------------------------------------------------------------


def delete_url(moment):
    return f"/children/{moment.child_id}/clips/{moment.clip_id}/moments/{moment.id}/delete"


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_the_author_deletes_their_moment_after_confirming(client, login_as, circle, make_clip):
    clip = make_clip(circle.child, circle.coach)
    moment = add(clip, circle.teacher, 2, text="weg ermee")
    login_as(circle.teacher)
    confirm = client.get(delete_url(moment))
    assert confirm.status_code == 200
    assert "weg ermee" in confirm.get_data(as_text=True)
    assert moment_count() == 1  # asking changes nothing
    response = client.post(delete_url(moment))
    assert response.status_code == 302
    assert moment_count() == 0
    assert db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "moment_deleted")
    )


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_the_coach_deletes_anyones_moment(client, login_as, circle, make_clip):
    clip = make_clip(circle.child, circle.coach)
    moment = add(clip, circle.teacher, 2)
    login_as(circle.coach)
    assert client.post(delete_url(moment)).status_code == 302
    assert moment_count() == 0


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_a_teacher_may_not_delete_someone_elses_moment(client, login_as, circle, make_clip):
    clip = make_clip(circle.child, circle.coach)
    moment = add(clip, circle.coach, 2, audience=Audience.TEAM)
    login_as(circle.teacher)
    assert "/delete" not in page(client, clip).get_data(as_text=True)
    assert client.get(delete_url(moment)).status_code == 403
    assert client.post(delete_url(moment)).status_code == 403
    assert moment_count() == 1


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_a_moment_of_another_clip_or_child_in_the_url_is_not_found(
    client, login_as, circle, make_clip, make_child
):
    clip = make_clip(circle.child, circle.coach)
    second = make_clip(circle.child, circle.coach)
    moment = add(second, circle.coach, 2)
    other = make_child("Ander Kind", coach=circle.coach)
    their_moment = add(make_clip(other, circle.coach), circle.coach, 1)
    login_as(circle.coach)
    base = f"/children/{circle.child.id}/clips/{clip.id}/moments"
    assert client.post(f"{base}/{moment.id}/delete").status_code == 404
    assert client.post(f"{base}/{their_moment.id}/delete").status_code == 404
    assert moment_count() == 2


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_a_moment_one_may_not_see_is_not_found(client, login_as, circle, make_clip):
    clip = make_clip(circle.child, circle.coach)
    private = add(clip, circle.coach, 2, audience=Audience.PRIVATE)
    login_as(circle.teacher)
    assert client.get(delete_url(private)).status_code == 404


# --- the school's own labels ------------------------------------------------------------------


@pytest.fixture
def admin(make_user, school):
    user = make_user("Beheerder Bea", admin=True, language="en")
    return user


def test_the_admin_adds_and_removes_a_label(client, login_as, admin, school):
    login_as(admin)
    page_ = client.get("/admin/moment-tags")
    assert page_.status_code == 200
    assert "Moment of success" in page_.get_data(as_text=True)  # the method's, always there
    response = client.post("/admin/moment-tags", data={"label": "  Gevoelens   benoemen "})
    assert response.status_code == 302
    tag = db.session.scalar(select(MomentTag))
    assert (tag.label, tag.school_id) == ("Gevoelens benoemen", school.id)
    assert "Gevoelens benoemen" in client.get("/admin/moment-tags").get_data(as_text=True)
    assert client.post(f"/admin/moment-tags/{tag.id}/remove").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(MomentTag)) == 0


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("", "Please fill in this field."),
        ("   ", "Please fill in this field."),
        ("x" * 61, "Use at most 60 characters."),
        ("gevoelens BENOEMEN", "This label exists already."),
        ("moment of success", "This label exists already."),
        ("bel\x07", "Write this on one line"),
    ],
)
def test_a_bad_label_is_refused(client, login_as, admin, school, label, message):
    db.session.add(MomentTag(school_id=school.id, label="Gevoelens benoemen"))
    db.session.commit()
    login_as(admin)
    response = client.post("/admin/moment-tags", data={"label": label})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(MomentTag)) == 1


def test_another_schools_label_cannot_be_removed(client, login_as, admin, make_school):
    elsewhere = MomentTag(school_id=make_school("Elders").id, label="Van elders")
    db.session.add(elsewhere)
    db.session.commit()
    login_as(admin)
    assert client.post(f"/admin/moment-tags/{elsewhere.id}/remove").status_code == 404
    assert db.session.get(MomentTag, elsewhere.id) is not None


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_a_moment_whose_label_was_removed_keeps_its_note(client, login_as, circle, make_clip):
    own = MomentTag(school_id=circle.child.school_id, label="Tijdelijk")
    db.session.add(own)
    db.session.commit()
    clip = make_clip(circle.child, circle.coach)
    moment = add(clip, circle.coach, 1, tag=None, text="blijft staan")
    moment.custom_tag_id = own.id
    db.session.delete(own)
    db.session.commit()
    login_as(circle.coach)
    html = page(client, clip).get_data(as_text=True)
    assert moment_texts(html) == ["blijft staan"] and "Label removed" in html


def test_a_label_added_twice_at_once_is_refused_clearly(admin, school, app_ctx, monkeypatch):
    """A double submit: the second request looked before the first was saved, so its own
    check passes; the database's unique rule decides, and the message is the same."""
    from app.clips.services import moments
    from app.core.errors import RefusedError

    first = moments.add_school_tag(db.session, school, "Samen spelen", actor=admin)
    db.session.commit()
    monkeypatch.setattr(moments, "school_tags", lambda session, school_id: [])
    with pytest.raises(RefusedError) as refused:
        moments.add_school_tag(db.session, school, "Samen spelen", actor=admin)
    with force_locale("en"):
        assert str(refused.value.message) == "This label exists already."
    db.session.commit()
    assert db.session.scalars(select(MomentTag.id)).all() == [first.id]
