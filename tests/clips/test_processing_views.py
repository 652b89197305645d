"""The clip page's view of processing: the status JSON, the panel, and the retry button."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.circle.audience import Audience
from app.clips.models import Clip, ClipState
from app.clips.services import conversion, processing, recovery, transcode
from app.core.audit import AuditEvent
from app.core.db import db
from tests.support.clips import held, media_root, uploaded


def status_url(clip: Any) -> str:
    return f"/children/{clip.child_id}/clips/{clip.id}/status"


def retry_url(clip: Any) -> str:
    return f"/children/{clip.child_id}/clips/{clip.id}/retry"


def reload(clip: Clip) -> Clip:
    return db.session.get(Clip, clip.id, populate_existing=True)


def flashes(client: Any) -> list[str]:
    with client.session_transaction() as session:
        return [message for _, message in session.get("_flashes", [])]


@pytest.mark.usefixtures("consent_both_parents")
def test_the_status_says_how_far_the_conversion_is(app, client, login_as, circle, videos):
    clip = uploaded(app, circle.child, circle.teacher, videos["landscape"])
    clip.state, clip.progress = ClipState.PROCESSING, 42
    db.session.commit()
    login_as(circle.coach)

    with held(transcode.lock_dir(media_root(app)) / f"clip-{clip.id}.lock"):
        answer = client.get(status_url(clip) + "?lang=en")

    assert answer.status_code == 200 and answer.is_json
    assert answer.json == {
        "state": "processing",
        "label": "Being converted",
        "progress": 42,
        "poster_url": None,
        "failure": None,
        "resumes": False,
        "retryable": False,
        "worker_stopped": False,
        "retry_url": retry_url(clip),
    }
    assert "no-store" in answer.headers["Cache-Control"]


@pytest.mark.usefixtures("consent_both_parents")
def test_the_status_of_a_ready_clip_has_its_poster(app, client, login_as, circle, videos):
    clip = uploaded(app, circle.child, circle.teacher, videos["silent"])
    with app.app_context():
        conversion.convert(clip.id)
    login_as(circle.teacher)

    status = client.get(status_url(clip)).json

    assert (status["state"], status["progress"]) == ("ready", 100)
    poster = client.get(status["poster_url"])
    assert poster.status_code == 200 and poster.data[:3] == b"\xff\xd8\xff"


@pytest.mark.usefixtures("consent_both_parents")
def test_an_interrupted_conversion_says_it_starts_again_by_itself(
    app, client, login_as, circle, videos
):
    clip = uploaded(app, circle.child, circle.coach, videos["landscape"], audience=Audience.CIRCLE)
    clip.state, clip.attempts = ClipState.PROCESSING, 1  # and no worker holds it
    db.session.commit()
    login_as(circle.coach)

    status = client.get(status_url(clip) + "?lang=en").json
    assert status["label"] == "Conversion interrupted"
    assert status["failure"].startswith("The conversion was interrupted. It starts again by itself")
    assert status["resumes"] is True
    page = client.get(f"/children/{clip.child_id}/clips/{clip.id}?lang=en").get_data(as_text=True)
    assert "starts again by itself" in page
    wait = page.split("data-status-wait", 1)[1].split(">", 1)[0]
    assert "hidden" in wait  # no "the conversion goes on" beside it

    with app.app_context():
        assert recovery.resume_interrupted() == 1
    clip = reload(clip)
    assert clip.state is ClipState.READY  # queued again; the queue runs inline in tests
    resumed = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "clip_resumed")
    ).all()
    assert [e.object_id for e in resumed] == [clip.id]


@pytest.mark.usefixtures("consent_both_parents")
def test_a_killed_conversion_shows_as_failed_and_only_the_coach_may_retry(
    app, client, login_as, circle, videos
):
    clip = uploaded(app, circle.child, circle.coach, videos["landscape"], audience=Audience.CIRCLE)
    # No worker holds it, and it was tried as often as it resumes by itself.
    clip.state, clip.attempts = ClipState.PROCESSING, processing.AUTO_RESUME_LIMIT
    db.session.commit()

    login_as(circle.parent)
    seen_by_parent = client.get(status_url(clip) + "?lang=en").json
    assert seen_by_parent["state"] == "failed"
    assert seen_by_parent["failure"] == "The conversion was interrupted."
    assert seen_by_parent["resumes"] is False
    assert seen_by_parent["retryable"] is False
    assert client.post(retry_url(clip)).status_code == 403

    coach = login_as(circle.coach, on=app.test_client())
    assert coach.get(status_url(clip)).json["retryable"] is True
    answer = coach.post(retry_url(clip))

    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/children/{clip.child_id}/clips/{clip.id}")
    clip = reload(clip)
    assert clip.state is ClipState.READY  # the queue runs inline in tests
    assert coach.get(status_url(clip)).json["state"] == "ready"


@pytest.mark.usefixtures("consent_both_parents")
def test_a_ready_clip_is_not_retried(app, client, login_as, circle, videos):
    clip = uploaded(app, circle.child, circle.coach, videos["silent"])
    with app.app_context():
        conversion.convert(clip.id)
    web_key = reload(clip).web_key
    login_as(circle.coach)

    answer = client.post(retry_url(clip) + "?lang=en")

    assert answer.status_code == 302
    assert flashes(client) == ["This clip is ready to watch: there is nothing to try again."]
    clip = reload(clip)
    assert (clip.state, clip.attempts, clip.web_key) == (ClipState.READY, 1, web_key)
    assert (media_root(app) / web_key).exists()


@pytest.mark.usefixtures("consent_both_parents")
def test_a_clip_a_live_worker_is_converting_is_not_retried(app, client, login_as, circle, videos):
    clip = uploaded(app, circle.child, circle.coach, videos["silent"])
    clip.state = ClipState.PROCESSING
    db.session.commit()
    login_as(circle.coach)

    with held(transcode.lock_dir(media_root(app)) / f"clip-{clip.id}.lock"):
        client.post(retry_url(clip) + "?lang=en")

    assert flashes(client) == [
        "This clip is still being converted. Wait until it is ready or has failed."
    ]
    clip = reload(clip)
    assert clip.state is ClipState.PROCESSING


@pytest.mark.usefixtures("consent_both_parents")
def test_a_clip_nobody_may_see_has_no_status(app, client, login_as, circle, videos):
    team_only = uploaded(app, circle.child, circle.teacher, videos["silent"])
    login_as(circle.parent)
    assert client.get(status_url(team_only)).status_code == 404
    other = uploaded(app, circle.child, circle.teacher, videos["silent"])
    assert client.get(f"/children/{other.child_id + 999}/clips/{other.id}/status").status_code in {
        403,
        404,
    }


def test_a_clip_whose_consent_is_missing_has_no_status(app, client, login_as, circle, videos):
    clip = uploaded(app, circle.child, circle.coach, videos["silent"], audience=Audience.CIRCLE)
    login_as(circle.parent)  # nobody signed: silence is no
    assert client.get(status_url(clip)).status_code == 404


@pytest.mark.usefixtures("consent_both_parents")
def test_the_clip_page_shows_the_processing_panel_until_ready(
    app, client, login_as, circle, videos
):
    clip = uploaded(app, circle.child, circle.coach, videos["silent"])
    clip.state, clip.failure = ClipState.FAILED, transcode.CONVERSION_FAILED
    db.session.commit()
    login_as(circle.coach)

    page = client.get(f"/children/{clip.child_id}/clips/{clip.id}?lang=en").get_data(as_text=True)

    assert f'data-clip-status="{status_url(clip)}"' in page
    assert "The video could not be converted." in page
    assert f'action="{retry_url(clip)}" class="inline-form" data-status-retry>' in page
    assert "js/clip-status.js" in page
