"""Streaming a clip through the app: ranges, headers, access on every range request, and one
audit event per playback start (issue 7 items 8 and 9; SECURITY.md checks 15 and 21)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import event, func, select

from app.circle.audience import Audience
from app.circle.models import Membership
from app.clips.models import ClipState, Source
from app.clips.services import streaming
from app.consent.models import Purpose
from app.core.audit import AuditEvent
from app.core.db import db, utcnow
from app.people import services as people
from tests.support.consent import sign_consent, withdraw


def video_url(clip) -> str:
    return f"/children/{clip.child_id}/clips/{clip.id}/video"


def plays(clip, user=None) -> int:
    stmt = select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "clip_played", AuditEvent.object_id == clip.id
    )
    if user is not None:
        stmt = stmt.where(AuditEvent.actor_id == user.id)
    return db.session.scalar(stmt)


@pytest.fixture
def shared(consent_one_parent, make_clip):
    """A school recording shared with the whole circle."""
    return make_clip(consent_one_parent.child, consent_one_parent.teacher, audience=Audience.CIRCLE)


def assert_private(response) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "attachment" not in response.headers.get("Content-Disposition", "")


@pytest.mark.usefixtures("consent_one_parent")
@pytest.mark.parametrize(
    ("asked", "first", "last"),
    [
        ("bytes=0-99", 0, 99),  # the first bytes: the start of a playback
        ("bytes=4000-5999", 4000, 5999),  # the middle: a seek
        ("bytes=-500", None, None),  # a suffix: the last 500 bytes
        ("bytes=300000-", 300000, None),  # open-ended: to the end, within the cap
    ],
)
def test_a_parent_gets_exactly_the_range_asked_for(
    circle, shared, login_as, web_video, asked, first, last
):
    size = len(web_video)
    first = size - 500 if first is None else first
    last = size - 1 if last is None else last
    client = login_as(circle.parent)
    response = client.get(video_url(shared), headers={"Range": asked})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes {first}-{last}/{size}"
    assert response.data == web_video[first : last + 1]
    assert response.mimetype == "video/mp4"
    assert_private(response)


@pytest.mark.usefixtures("consent_one_parent")
def test_the_whole_file_and_an_unsatisfiable_range(circle, shared, login_as, web_video):
    client = login_as(circle.parent)
    whole = client.get(video_url(shared))
    assert whole.status_code == 200 and whole.data == web_video
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert_private(whole)
    beyond = client.get(video_url(shared), headers={"Range": f"bytes={len(web_video) + 10}-"})
    assert beyond.status_code == 416
    assert beyond.headers["Content-Range"] == f"bytes */{len(web_video)}"
    assert_private(beyond)


@pytest.mark.usefixtures("consent_one_parent")
def test_the_poster_is_sent_privately_too(circle, shared, login_as, poster_jpeg):
    response = login_as(circle.parent).get(f"/children/{shared.child_id}/clips/{shared.id}/poster")
    assert response.status_code == 200 and response.data == poster_jpeg
    assert response.mimetype == "image/jpeg"
    assert_private(response)


@pytest.mark.usefixtures("consent_one_parent")
def test_a_team_clip_is_not_there_for_a_parent_nor_for_an_outsider(
    circle, make_clip, login_as, make_user, client
):
    team = make_clip(circle.child, circle.teacher, audience=Audience.TEAM)
    assert login_as(circle.coach).get(video_url(team)).status_code == 200
    client.post("/sign-out")
    assert login_as(circle.parent).get(video_url(team)).status_code == 404
    client.post("/sign-out")
    outsider = make_user("Buitenstaander", staff=True)
    response = login_as(outsider).get(video_url(team), headers={"Range": "bytes=0-99"})
    assert response.status_code == 404 and b"ftyp" not in response.data
    assert plays(team) == 1  # only the coach's


@pytest.mark.usefixtures("consent_one_parent")
def test_a_clip_id_of_another_child_gives_404(circle, make_child, make_clip, login_as):
    other = make_child("Ander kind", coach=circle.coach)
    foreign = make_clip(other, circle.coach, audience=Audience.CIRCLE)
    client = login_as(circle.coach)
    response = client.get(f"/children/{circle.child.id}/clips/{foreign.id}/video")
    assert response.status_code == 404


@pytest.mark.usefixtures("consent_one_parent")
@pytest.mark.parametrize("state", [ClipState.PROCESSING, ClipState.FAILED, ClipState.UPLOADED])
def test_a_clip_without_a_web_version_has_no_video(circle, make_clip, login_as, state):
    clip = make_clip(circle.child, circle.coach, state=state)
    response = login_as(circle.coach).get(video_url(clip))
    assert response.status_code == 404
    assert plays(clip) == 0


@pytest.mark.usefixtures("consent_one_parent")
def test_a_clip_whose_file_is_gone_gives_404_not_an_error(circle, make_clip, login_as, app):
    clip = make_clip(circle.child, circle.coach)
    with app.app_context():
        from app.core import storage

        storage.delete(clip.web_key)
    assert login_as(circle.coach).get(video_url(clip)).status_code == 404


@pytest.mark.usefixtures("consent_one_parent")
def test_a_playback_start_is_logged_once_not_every_range_request(circle, shared, login_as):
    client = login_as(circle.parent)
    # A browser starting a player: a request without Range, then one from byte 0, then more.
    assert client.get(video_url(shared)).status_code == 200
    assert client.get(video_url(shared), headers={"Range": "bytes=0-"}).status_code == 206
    for asked in ("bytes=1000-1999", "bytes=2000-", "bytes=-100"):
        assert client.get(video_url(shared), headers={"Range": asked}).status_code == 206
    assert plays(shared, circle.parent) == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "clip_played"))
    assert (event.actor_id, event.child_id, event.object_type) == (
        circle.parent.id,
        shared.child_id,
        "Clip",
    )


@pytest.mark.usefixtures("consent_one_parent")
def test_a_new_playback_after_the_window_is_logged_again_and_per_person(
    circle, shared, login_as, client
):
    start = utcnow()
    with time_machine.travel(start, tick=False) as traveller:
        parent = login_as(circle.parent)
        parent.get(video_url(shared), headers={"Range": "bytes=0-"})
        traveller.shift(streaming.PLAY_WINDOW - timedelta(seconds=5))
        parent.get(video_url(shared), headers={"Range": "bytes=0-"})
        assert plays(shared, circle.parent) == 1
        traveller.shift(timedelta(seconds=10))
        parent.get(video_url(shared), headers={"Range": "bytes=0-"})
        assert plays(shared, circle.parent) == 2
        client.post("/sign-out")
        login_as(circle.coach).get(video_url(shared), headers={"Range": "bytes=0-1"})
    assert plays(shared, circle.coach) == 1


@pytest.mark.parametrize(
    ("header", "starts"),
    [
        (None, True),
        ("bytes=0-", True),
        ("bytes=0-1", True),
        ("bytes = 00-99", True),
        ("bytes=1-", False),
        ("bytes=100-200", False),
        ("bytes=-500", False),
        ("bytes=10-20,0-5", False),
    ],
)
def test_which_requests_start_a_playback(header, starts):
    assert streaming.starts_playback(header) is starts


# --- withdrawal or removal stops a playing video at its next range request -------------------


@pytest.mark.usefixtures("consent_one_parent")
def test_a_withdrawal_stops_a_playing_video_at_its_next_range_request(
    circle, shared, login_as, app
):
    client = login_as(circle.parent)
    assert client.get(video_url(shared), headers={"Range": "bytes=0-999"}).status_code == 206
    withdraw(app, circle.child, circle.parent, [Purpose.SCHOOL_RECORDING])
    response = client.get(video_url(shared), headers={"Range": "bytes=1000-1999"})
    assert response.status_code == 404 and b"ftyp" not in response.data


@pytest.mark.usefixtures("consent_one_parent")
def test_withdrawing_team_viewing_stops_the_teacher_but_not_the_coach(
    circle, make_clip, app, login_as, client
):
    clip = make_clip(circle.child, circle.coach, audience=Audience.TEAM)
    teacher = login_as(circle.teacher)
    assert teacher.get(video_url(clip), headers={"Range": "bytes=0-9"}).status_code == 206
    withdraw(app, circle.child, circle.parent, [Purpose.TEAM_VIEWING])
    assert teacher.get(video_url(clip), headers={"Range": "bytes=10-19"}).status_code == 404
    client.post("/sign-out")
    coach = login_as(circle.coach)
    assert coach.get(video_url(clip), headers={"Range": "bytes=10-19"}).status_code == 206


@pytest.mark.usefixtures("consent_one_parent")
def test_removal_from_the_circle_stops_a_playing_video_at_its_next_range_request(
    circle, shared, login_as, app
):
    client = login_as(circle.parent2)
    assert client.get(video_url(shared), headers={"Range": "bytes=0-999"}).status_code == 206
    membership = db.session.scalar(
        select(Membership).where(
            Membership.child_id == shared.child_id, Membership.user_id == circle.parent2.id
        )
    )
    with app.test_request_context():
        people.remove_member(db.session, membership, actor=circle.coach)
        db.session.commit()
    response = client.get(video_url(shared), headers={"Range": "bytes=1000-1999"})
    assert response.status_code == 404 and response.data[:4] != b"\x00\x00\x00\x20"


@pytest.mark.usefixtures("consent_one_parent")
def test_a_home_recording_plays_only_while_home_recording_is_granted(
    circle, make_clip, login_as, app
):
    clip = make_clip(circle.child, circle.parent, source=Source.HOME, audience=Audience.TEAM)
    client = login_as(circle.parent)
    assert client.get(video_url(clip), headers={"Range": "bytes=0-9"}).status_code == 206
    withdraw(app, circle.child, circle.parent, [Purpose.HOME_RECORDING])
    assert client.get(video_url(clip), headers={"Range": "bytes=10-19"}).status_code == 404


@pytest.mark.usefixtures("consent_one_parent")
def test_behind_nginx_the_app_checks_and_hands_over_or_refuses_the_range(
    circle, shared, make_clip, login_as, monkeypatch, app, web_video
):
    monkeypatch.setitem(app.config, "MEDIA_ACCEL_PREFIX", "/_media/")
    client = login_as(circle.parent)
    handed = client.get(video_url(shared), headers={"Range": "bytes=100-199"})
    assert handed.status_code == 200 and handed.data == b""
    assert handed.headers["X-Accel-Redirect"] == f"/_media/{shared.web_key}"
    assert_private(handed)
    beyond = client.get(video_url(shared), headers={"Range": f"bytes={len(web_video)}-"})
    assert beyond.status_code == 416 and "X-Accel-Redirect" not in beyond.headers
    assert beyond.headers["Content-Range"] == f"bytes */{len(web_video)}"
    assert_private(beyond)
    team = make_clip(circle.child, circle.teacher, audience=Audience.TEAM)
    refused = client.get(video_url(team), headers={"Range": "bytes=0-"})
    assert refused.status_code == 404 and "X-Accel-Redirect" not in refused.headers


@pytest.mark.usefixtures("consent_one_parent")
def test_a_head_request_starts_no_playback(circle, shared, login_as):
    client = login_as(circle.parent)
    assert client.head(video_url(shared)).status_code == 200
    assert plays(shared) == 0
    client.get(video_url(shared), headers={"Range": "bytes=0-"})
    assert plays(shared) == 1


@pytest.mark.usefixtures("consent_one_parent")
def test_the_poster_shows_while_the_clip_is_still_converting(
    circle, make_clip, login_as, poster_jpeg
):
    converting = make_clip(circle.child, circle.coach, state=ClipState.PROCESSING)
    client = login_as(circle.coach)
    poster = client.get(f"/children/{converting.child_id}/clips/{converting.id}/poster")
    assert poster.status_code == 200 and poster.data == poster_jpeg
    without = make_clip(circle.child, circle.coach, state=ClipState.UPLOADED)
    without.poster_key = None  # just uploaded: no poster yet
    db.session.commit()
    assert client.get(f"/children/{without.child_id}/clips/{without.id}/poster").status_code == 404


@pytest.mark.usefixtures("consent_one_parent")
def test_a_seek_asks_the_same_few_queries_however_long_the_consent_history(
    app, circle, shared, login_as
):
    # Every range request of a playing video checks access afresh (DESIGN.md §6: the queries
    # of a request do not grow with the data): the signed-in session, the role, the child,
    # the clip and consent, the latter in one query over every signer's records.
    client = login_as(circle.parent)

    def queries_for_seek() -> int:
        count = 0

        def counter(connection, cursor, statement, *args):
            nonlocal count
            count += statement.lstrip().upper().startswith("SELECT")

        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            response = client.get(video_url(shared), headers={"Range": "bytes=4000-4999"})
            assert response.status_code == 206
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)
        return count

    few = queries_for_seek()
    assert few <= 5
    for _ in range(3):
        sign_consent(app, circle.child, circle.parent)
        sign_consent(app, circle.child, circle.parent2)
    assert queries_for_seek() == few


# --- no answer carries more than a few seconds (issue 15 item 7) -----------------------------


@pytest.fixture
def small_cap(app, monkeypatch, web_video):
    """A cap of one second of the 6-second test clip (its floor out of the way)."""
    monkeypatch.setitem(app.config, "STREAM_CHUNK_SECONDS", 1)
    monkeypatch.setitem(app.config, "STREAM_CHUNK_MIN_BYTES", 1)
    return len(web_video) // 6


@pytest.mark.usefixtures("consent_one_parent")
@pytest.mark.parametrize("accel", [False, True])
def test_an_open_ended_range_gets_a_few_seconds_and_the_player_follows(
    app, circle, shared, login_as, web_video, small_cap, monkeypatch, accel
):
    if accel:  # behind nginx too the capped answer is the app's own: nginx would send it all
        monkeypatch.setitem(app.config, "MEDIA_ACCEL_PREFIX", "/_media/")
    size = len(web_video)
    client = login_as(circle.parent)
    received, start, requests = b"", 0, 0
    while start < size:  # what a player does: the next open-ended range where the last ended
        response = client.get(video_url(shared), headers={"Range": f"bytes={start}-"})
        first, last = start, min(start + small_cap, size) - 1
        if accel and size - start <= small_cap:  # the rest fits the cap: nginx sends it
            assert response.headers["X-Accel-Redirect"] == "/_media/" + shared.web_key
            received += web_video[start:]
            break
        assert response.status_code == 206
        assert "X-Accel-Redirect" not in response.headers
        assert response.headers["Content-Range"] == f"bytes {first}-{last}/{size}"
        assert len(response.data) <= small_cap
        assert_private(response)
        received += response.data
        start, requests = last + 1, requests + 1
    assert received == web_video
    # About one a second of video; behind nginx the last piece is nginx's.
    assert requests == -(-size // small_cap) - (1 if accel else 0)


@pytest.mark.usefixtures("consent_one_parent")
def test_a_range_within_the_cap_is_still_handed_to_nginx(
    app, circle, shared, login_as, small_cap, monkeypatch
):
    monkeypatch.setitem(app.config, "MEDIA_ACCEL_PREFIX", "/_media/")
    client = login_as(circle.parent)
    handed = client.get(video_url(shared), headers={"Range": f"bytes=100-{99 + small_cap}"})
    assert handed.headers["X-Accel-Redirect"] == "/_media/" + shared.web_key
    whole = client.get(video_url(shared))  # no Range: the whole file, as before
    assert whole.headers["X-Accel-Redirect"] == "/_media/" + shared.web_key


@pytest.mark.usefixtures("consent_one_parent")
def test_a_withdrawal_stops_an_open_ended_stream_within_the_cap(
    app, circle, shared, login_as, web_video, small_cap
):
    client = login_as(circle.parent)
    first = client.get(video_url(shared), headers={"Range": "bytes=0-"})
    assert len(first.data) == small_cap < len(web_video)
    withdraw(app, circle.child, circle.parent, [Purpose.SCHOOL_RECORDING])
    after = client.get(video_url(shared), headers={"Range": f"bytes={small_cap}-"})
    assert after.status_code == 404
    assert web_video[small_cap : small_cap + 64] not in after.data
