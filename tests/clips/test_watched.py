"""Who watched the child's clips (issue 7 item 11; DESIGN.md rule 6): who started playing
which clip and when, newest first, in Amsterdam time, without naming a clip to someone who may
not see it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine

from app.circle.audience import Audience
from app.clips.models import Clip, DestroyReason
from app.clips.services import retention, streaming
from app.core.db import db
from tests.support.consent import sign_consent


def watched_url(child, page: int | None = None) -> str:
    query = "?lang=en" + (f"&page={page}" if page else "")
    return f"/children/{child.id}/clips/watched{query}"


def play(app, clip: Clip, user, when: datetime) -> None:
    with time_machine.travel(when, tick=False), app.test_request_context():
        streaming.note_playback(db.session, db.session.merge(clip), viewer=user)
        db.session.commit()


def rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        for row in body.split("</tr>")[:-1]
    ]


@pytest.fixture
def watched(app, circle, make_clip):
    sign_consent(app, circle.child, circle.parent)
    circle.shared = make_clip(
        circle.child, circle.teacher, audience=Audience.CIRCLE, title="Samen lezen"
    )
    circle.team = make_clip(
        circle.child, circle.teacher, audience=Audience.TEAM, title="Ruzie bij de kapstok"
    )
    circle.private = make_clip(
        circle.child, circle.coach, audience=Audience.PRIVATE, title="Eerste opname"
    )
    play(app, circle.shared, circle.coach, datetime(2027, 3, 30, 8, 15, tzinfo=UTC))
    play(app, circle.team, circle.teacher, datetime(2027, 3, 30, 9, 0, tzinfo=UTC))
    play(app, circle.private, circle.coach, datetime(2027, 3, 30, 9, 30, tzinfo=UTC))
    play(app, circle.shared, circle.parent, datetime(2027, 3, 31, 18, 45, tzinfo=UTC))
    return circle


def test_a_parent_sees_who_watched_which_clip_and_when_newest_first(watched, login_as):
    page = login_as(watched.parent).get(watched_url(watched.child))
    assert page.status_code == 200
    assert rows(page.get_data(as_text=True)) == [
        # Summer time in Amsterdam: UTC + 2.
        "Mar 31, 2027, 8:45:00 PM Ouder Petra Samen lezen",
        "Mar 30, 2027, 11:30:00 AM Coach Carla a clip for the coaches",
        "Mar 30, 2027, 11:00:00 AM Juf Tamara a clip for the school team",
        "Mar 30, 2027, 10:15:00 AM Coach Carla Samen lezen",
    ]


def test_a_parent_never_learns_the_title_of_a_clip_they_may_not_see(watched, login_as):
    html = login_as(watched.parent).get(watched_url(watched.child)).get_data(as_text=True)
    assert "Ruzie bij de kapstok" not in html and "Eerste opname" not in html
    assert f"/clips/{watched.team.id}" not in html and f"/clips/{watched.private.id}" not in html


def test_the_coach_sees_every_title(watched, login_as):
    html = login_as(watched.coach).get(watched_url(watched.child)).get_data(as_text=True)
    assert "Ruzie bij de kapstok" in html and "Eerste opname" in html


def test_a_destroyed_clip_stays_in_the_list_without_its_title(watched, login_as, app):
    with app.test_request_context():
        retention.destroy(db.session, db.session.merge(watched.shared), DestroyReason.DELETED)
        db.session.commit()
    html = login_as(watched.coach).get(watched_url(watched.child)).get_data(as_text=True)
    assert "Samen lezen" not in html
    assert html.count("a clip that has been destroyed") == 2


def test_who_watched_is_for_coaches_and_parents_only(watched, login_as, client, make_user):
    assert login_as(watched.teacher).get(watched_url(watched.child)).status_code == 403
    client.post("/sign-out")
    outsider = make_user("Buiten de kring", staff=True)
    assert login_as(outsider).get(watched_url(watched.child)).status_code == 404


def test_another_childs_playbacks_are_not_listed(watched, login_as, make_child, make_clip, app):
    other = make_child("Ander kind", coach=watched.coach)
    clip = make_clip(other, watched.coach, audience=Audience.CIRCLE, title="Van een ander kind")
    play(app, clip, watched.coach, datetime(2027, 4, 1, 8, 0, tzinfo=UTC))
    html = login_as(watched.coach).get(watched_url(watched.child)).get_data(as_text=True)
    assert "Van een ander kind" not in html and len(rows(html)) == 4


def test_the_list_comes_in_pages(watched, login_as, app, monkeypatch):
    monkeypatch.setattr(streaming, "WATCHED_PAGE", 3)
    client = login_as(watched.parent)
    first = client.get(watched_url(watched.child)).get_data(as_text=True)
    assert len(rows(first)) == 3 and 'rel="next"' in first and 'rel="prev"' not in first
    second = client.get(watched_url(watched.child, page=2)).get_data(as_text=True)
    assert rows(second) == ["Mar 30, 2027, 10:15:00 AM Coach Carla Samen lezen"]
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_nobody_watched_yet(circle, login_as):
    page = login_as(circle.parent).get(watched_url(circle.child))
    assert page.status_code == 200 and "Nobody has played a clip" in page.get_data(as_text=True)
