"""Fragments: the coach sets in and out points in a recording and saves a clip of its own.

Validation: both points within the recording, out after in, at least 1 s and at most 5 minutes,
cut from a recording (never from a fragment); the fragment's audience at most what the
recording could be given. Bad input: a clear message, nothing stored, nothing queued.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from app.circle.audience import Audience
from app.clips.models import Clip, ClipState, Source
from app.clips.services import fragments as fragment_service
from app.core.audit import AuditEvent
from app.core.db import db, utcnow
from tests.support.player import page


@pytest.fixture
def queued(monkeypatch):
    """The cuts queued, with whether the fragment's row was committed when it was queued."""
    calls = []

    def fake_cut(fragment_id):
        # Whatever was not committed yet is gone after a rollback: the worker would not find
        # the row.
        db.session.rollback()
        calls.append((fragment_id, db.session.get(Clip, fragment_id) is not None))

    monkeypatch.setattr(fragment_service, "queue_cut", lambda fragment: fake_cut(fragment.id))
    return calls


def cut(client, clip, follow_redirects=False, **fields):
    data = {"start": "0:01", "end": "0:03,5", "title": "Beurt nemen", "audience": "team"}
    data.update(fields)
    url = f"/children/{clip.child_id}/clips/{clip.id}/fragments"
    return client.post(url, data=data, follow_redirects=follow_redirects)


def fragments():
    return list(db.session.scalars(select(Clip).where(Clip.parent_id.is_not(None))))


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_the_coach_saves_a_fragment_as_a_clip_of_its_own(
    client, login_as, circle, make_clip, queued
):
    recording = make_clip(circle.child, circle.teacher, audience=Audience.TEAM)
    login_as(circle.coach)
    response = cut(client, recording, title="  Beurt   nemen ")
    assert response.status_code == 302
    (fragment,) = fragments()
    assert response.headers["Location"].endswith(f"/clips/{fragment.id}")
    assert fragment.parent_id == recording.id
    assert (fragment.start_s, fragment.end_s) == (1.0, 3.5)
    assert fragment.child_id == recording.child_id and fragment.source is recording.source
    assert fragment.uploader_id == circle.coach.id
    assert fragment.state is ClipState.UPLOADED and fragment.audience is Audience.TEAM
    assert fragment.title == "Beurt nemen"
    assert queued == [(fragment.id, True)]  # queued after the commit, so the worker finds it
    assert db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "fragment_created", AuditEvent.object_id == fragment.id)
    )
    # The fragment's page says it is being prepared until the cut is done.
    assert "<video" not in client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.usefixtures("consent_one_parent_in_english")
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"start": "0:07", "end": "0:08"},
            "Choose an in point within the recording (0:00 to 0:06).",
        ),
        ({"start": "1", "end": "9"}, "The recording ends at 0:06."),
        ({"start": "4", "end": "2"}, "The out point must come after the in point."),
        ({"start": "2", "end": "2"}, "The out point must come after the in point."),
        ({"start": "2", "end": "2,5"}, "A fragment lasts at least 1 second."),
        ({"start": "", "end": "3"}, "Fill in a time, for example 1:15."),
        ({"start": "1", "end": "drie"}, "Write the time as seconds (75)"),
        ({"title": ""}, "Please fill in this field."),
        ({"title": "x" * 161}, "Use at most 160 characters."),
        ({"title": "regel\neen"}, "Write this on one line"),
        ({"audience": "everyone"}, "Choose who sees it."),
    ],
)
def test_bad_points_get_a_clear_message_and_store_nothing(
    client, login_as, circle, make_clip, queued, fields, message
):
    recording = make_clip(circle.child, circle.coach)
    login_as(circle.coach)
    response = cut(client, recording, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert fragments() == [] and queued == []


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_a_fragment_lasts_at_most_five_minutes(client, login_as, circle, make_clip, queued):
    recording = make_clip(circle.child, circle.coach)
    # A long recording; only its length matters here.
    db.session.execute(update(Clip).where(Clip.id == recording.id).values(duration_s=900.0))
    db.session.commit()
    login_as(circle.coach)
    response = cut(client, recording, start="1:00", end="6:00,5")
    assert "A fragment lasts at most 5 minutes." in response.get_data(as_text=True)
    assert cut(client, recording, start="1:00", end="6:00").status_code == 302


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_a_fragment_is_not_cut_from_a_fragment(client, login_as, circle, make_clip, queued):
    recording = make_clip(circle.child, circle.coach)
    fragment = make_clip(circle.child, circle.coach, parent=recording, start_s=0.0, end_s=4.0)
    login_as(circle.coach)
    response = cut(client, fragment)
    assert response.status_code == 302
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Cut fragments from the recording itself" in shown
    assert [f.id for f in fragments()] == [fragment.id] and queued == []


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_a_recording_not_yet_ready_cannot_be_cut(client, login_as, circle, make_clip, queued):
    recording = make_clip(circle.child, circle.coach, state=ClipState.PROCESSING)
    login_as(circle.coach)
    response = cut(client, recording, follow_redirects=True)
    assert "The recording can be cut once it is ready." in response.get_data(as_text=True)
    assert fragments() == [] and queued == []


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_only_the_coach_cuts(client, login_as, circle, make_clip, queued):
    recording = make_clip(circle.child, circle.coach)
    login_as(circle.teacher)
    assert 'id="fragment"' not in page(client, recording).get_data(as_text=True)
    assert cut(client, recording).status_code == 403
    assert fragments() == [] and queued == []


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_another_childs_recording_in_the_url_is_not_found(
    client, login_as, circle, make_clip, make_child, queued
):
    theirs = make_clip(make_child("Ander Kind", coach=circle.coach), circle.coach)
    login_as(circle.coach)
    response = client.post(
        f"/children/{circle.child.id}/clips/{theirs.id}/fragments",
        data={"start": "1", "end": "3", "title": "x", "audience": "team"},
    )
    assert response.status_code == 404
    assert fragments() == [] and queued == []


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_a_parents_private_home_recording_stays_away_from_the_team(
    client, login_as, circle, make_clip, queued
):
    home = make_clip(circle.child, circle.parent, source=Source.HOME, audience=Audience.PRIVATE)
    login_as(circle.coach)
    html = page(client, home).get_data(as_text=True)
    form = html[html.index('id="fragment"') :]
    assert 'value="private"' in form and 'value="team"' not in form
    assert cut(client, home, audience="team").status_code == 400
    assert cut(client, home, audience="private").status_code == 302
    (fragment,) = fragments()
    assert fragment.source is Source.HOME and fragment.audience is Audience.PRIVATE


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_others_in_view_keep_a_fragment_from_the_circle_until_cleared(
    client, login_as, circle, make_clip, queued
):
    recording = make_clip(circle.child, circle.coach, shows_others=True)
    login_as(circle.coach)
    response = cut(client, recording, audience="circle")
    assert response.status_code == 400
    assert "Other people are recognisable in this recording." in response.get_data(as_text=True)
    assert fragments() == []
    db.session.execute(
        update(Clip)
        .where(Clip.id == recording.id)
        .values(others_cleared_at=utcnow(), others_cleared_by_id=circle.coach.id)
    )
    db.session.commit()
    assert cut(client, recording, audience="circle").status_code == 302
    (fragment,) = fragments()
    assert fragment.shows_others and fragment.others_cleared_at is not None


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_extra_fields_cannot_change_the_child_or_the_uploader(
    client, login_as, circle, make_clip, make_child, queued
):
    other = make_child("Ander Kind", coach=circle.coach)
    recording = make_clip(circle.child, circle.coach)
    login_as(circle.coach)
    response = cut(
        client,
        recording,
        child_id=other.id,
        uploader_id=circle.parent.id,
        parent_id=999,
        state="ready",
    )
    assert response.status_code == 302
    (fragment,) = fragments()
    assert fragment.child_id == circle.child.id and fragment.parent_id == recording.id
    assert fragment.uploader_id == circle.coach.id and fragment.state is ClipState.UPLOADED


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_the_saved_fragment_is_cut_and_plays(client, login_as, circle, make_clip):
    """The whole way, with the real cut (jobs run inline in the tests)."""
    recording = make_clip(circle.child, circle.coach)
    login_as(circle.coach)
    response = cut(client, recording, start="2", end="4")
    (fragment,) = fragments()
    assert fragment.state is ClipState.READY
    assert fragment.duration_s == pytest.approx(2, abs=0.3)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'src="/children/{fragment.child_id}/clips/{fragment.id}/video"' in html
