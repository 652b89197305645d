"""A stopped worker is visible (issue 15 item 6): its heartbeat, the clip page that waits on
it, ``flask worker-status`` and ``/health/worker``, with the clock pinned."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from app.circle.audience import Audience
from app.clips.models import ClipState
from app.core import heartbeat
from app.core.jobs import huey

#: An instant ahead of the (possibly moved) clock of the test session: a day ahead, so that it
#: stays after the accounts a test makes however long the suite ran before it (a sign-in at an
#: instant before the account's password was set does not hold).
T0 = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)


@pytest.fixture
def worker_queue(app, tmp_path):
    """The app's queue in a SQLite file, as with a separate worker (tests run jobs inline)."""
    inline = app.config["JOBS_URL"]
    app.config["JOBS_URL"] = f"sqlite:///{tmp_path / 'jobs.db'}"
    huey.init_app(app)
    yield
    app.config["JOBS_URL"] = inline
    huey.init_app(app)


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


@pytest.mark.usefixtures("worker_queue")
def test_the_worker_counts_as_running_for_a_few_minutes_after_a_beat(app):
    with app.app_context():
        assert heartbeat.status(T0).running is False  # never seen
        heartbeat.beat(T0)
        assert heartbeat.status(T0 + timedelta(minutes=4)).running is True
        assert heartbeat.status(T0 + timedelta(minutes=6)).running is False
        assert (
            heartbeat.status(T0 + timedelta(minutes=6)).seconds_ago(T0 + timedelta(minutes=6))
            == 360
        )


def test_with_jobs_inline_there_is_no_worker_to_lose(app):
    with app.app_context():
        assert heartbeat.status().running and heartbeat.status().inline


@pytest.mark.usefixtures("worker_queue")
def test_the_worker_thread_beats(app, monkeypatch):
    monkeypatch.setattr(heartbeat, "_started", heartbeat.threading.Event())
    with app.app_context():
        assert heartbeat.last_seen() is None
        stop = heartbeat.start_beating(interval=0.05)
        try:
            deadline = time.monotonic() + 5
            while heartbeat.last_seen() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            assert heartbeat.status().running
        finally:
            stop.set()
            time.sleep(0.2)  # the thread's last beat lands in this test's queue


@pytest.fixture
def waiting_clip(consent_one_parent, make_clip):
    circle = consent_one_parent
    return make_clip(circle.child, circle.coach, state=ClipState.UPLOADED, audience=Audience.TEAM)


@pytest.mark.usefixtures("worker_queue")
def test_a_clip_waiting_for_conversion_says_the_worker_is_not_running(
    app, circle, waiting_clip, login_as
):
    page = f"/children/{circle.child.id}/clips/{waiting_clip.id}"
    with at(T0):
        coach = login_as(circle.coach)
        with app.app_context():  # this app's queue, whichever app was built last
            heartbeat.beat(T0)
    with at(T0 + timedelta(minutes=1)):
        html = coach.get(page).get_data(as_text=True)
        assert "data-status-worker hidden" in html
        assert coach.get(page + "/status").json["worker_stopped"] is False
    with at(T0 + timedelta(minutes=10)):
        html = coach.get(page).get_data(as_text=True)
        assert "data-status-worker>" in html
        assert "De achtergrondverwerking die clips omzet draait niet" in html
        assert coach.get(page + "/status").json["worker_stopped"] is True


@pytest.mark.usefixtures("worker_queue")
@pytest.mark.usefixtures("consent_one_parent")
def test_a_ready_clip_does_not_mention_the_worker(app, circle, make_clip, login_as):
    clip = make_clip(circle.child, circle.coach, audience=Audience.TEAM)
    with at(T0):  # never a beat
        html = login_as(circle.coach).get(f"/children/{circle.child.id}/clips/{clip.id}").text
    assert "data-status-worker" not in html


@pytest.mark.usefixtures("worker_queue")
def test_flask_worker_status_exits_non_zero_when_stale(app, runner):
    with at(T0):
        never = runner.invoke(args=["worker-status"])
        assert never.exit_code == 1 and "NOT running" in never.output
        with app.app_context():
            heartbeat.beat(T0)
        fresh = runner.invoke(args=["worker-status"])
        assert fresh.exit_code == 0 and "is running" in fresh.output
    with at(T0 + timedelta(minutes=7)):
        stale = runner.invoke(args=["worker-status"])
        assert stale.exit_code == 1
        assert "420 s ago" in stale.output and "huey_consumer" in stale.output


@pytest.mark.usefixtures("worker_queue")
def test_the_health_endpoint_answers_anyone_without_private_data(app):
    anonymous = app.test_client()
    with at(T0):
        stopped = anonymous.get("/health/worker")
        assert stopped.status_code == 503
        assert stopped.json == {"worker": "stopped", "last_seen_seconds_ago": None, "inline": False}
        with app.app_context():
            heartbeat.beat(T0)
    with at(T0 + timedelta(seconds=42)):
        running = anonymous.get("/health/worker")
        assert running.status_code == 200
        assert running.json == {"worker": "running", "last_seen_seconds_ago": 42, "inline": False}
        assert running.headers["Cache-Control"] == "no-store"


@pytest.mark.usefixtures("worker_queue")
def test_create_school_says_the_first_admins_mail_waits_for_the_worker(app, runner):
    args = ["create-school", "--name", "IKC De Wachter", "--admin-name", "Jolien"]
    with at(T0):
        waiting = runner.invoke(args=[*args, "--admin-email", "directie@wachter.example"])
        assert waiting.exit_code == 0, waiting.output
        assert "background worker is not running, so that mail waits" in waiting.output
        with app.app_context():
            heartbeat.beat(T0)
        running = runner.invoke(args=[*args, "--admin-email", "ib@wachter.example"])
    assert running.exit_code == 0 and "not running" not in running.output
