"""A removal from the circle, or a withdrawal of consent, stops a playing video within seconds
(issue 15 item 7).

A parent of Noah (a new account, so the demo's parents keep their state for the other
journeys) plays a one-minute clip shared with the circle. The server answers every
open-ended range with at most ``STREAM_CHUNK_SECONDS`` of video, so the browser holds only
what it buffered ahead plus the one capped answer in flight. Sanne Jansen, the coach, removes
the parent in another browser context; the video then stops within that, far from the end
of the clip, and the player says the video is no longer available.

The withdrawal: a parent of a child of their own (made for the test, with their signed
consent) plays the child's clip; in another process their consent to filming at school is
withdrawn through the consent service, and the video stops the same way.

The clip is a constant 4 Mbit/s, so chromium's own read-ahead (about ten seconds of video,
at least a few MB) is a bounded number of seconds too.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import DESKTOP_CONTEXT, ROOT, LiveServer, sign_in
from tests.support.demo import COACH
from tests.support.footage import ffmpeg

pytestmark = pytest.mark.e2e

SECONDS = 60
CAP_SECONDS = 4.0  # the server's default STREAM_CHUNK_SECONDS
PARENT_EMAIL = "ouder.stream@example.nl"

#: A ready clip of Noah shared with the circle, with ``argv[1]`` as its web version, and a new
#: parent in Noah's circle; prints the child's, the clip's and the membership's ids.
SETUP = """
import sys
from pathlib import Path
from sqlalchemy import select
from app import create_app
from app.auth import services as auth
from app.circle.audience import Audience
from app.circle.models import Child, Membership, Role, User
from app.clips.models import Clip, ClipState, Source
from app.core import storage
from app.core.db import db
app = create_app()
with app.app_context():
    child = db.session.scalar(select(Child).where(Child.name == "Noah Bakker"))
    coach = db.session.scalar(select(User).where(User.email == "coach@regenboog.example"))
    parent = User(email=sys.argv[2], name="Robin Bakker", school_id=child.school_id)
    auth.set_password(parent, "samen-kijken-2026")
    db.session.add(parent)
    db.session.flush()
    seat = Membership(child_id=child.id, user_id=parent.id, role=Role.PARENT)
    db.session.add(seat)
    video = Path(sys.argv[1])
    stored = storage.store_bytes(video.read_bytes(), folder="clips/web", suffix=".mp4")
    clip = Clip(child_id=child.id, source=Source.SCHOOL, uploader_id=coach.id,
                title="Kring van een minuut", audience=Audience.CIRCLE, state=ClipState.READY,
                web_key=stored.key, web_size=stored.size, web_sha256=stored.sha256,
                duration_s=float(sys.argv[3]))
    db.session.add(clip)
    db.session.commit()
    print(child.id, clip.id, seat.id)
"""


def constant_rate_video(path: Path) -> Path:
    ffmpeg(
        *("-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=25:duration={SECONDS}"),
        *("-f", "lavfi", "-i", f"sine=frequency=440:duration={SECONDS}"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"),
        *("-b:v", "4M", "-minrate", "4M", "-maxrate", "4M", "-bufsize", "1M"),
        *("-x264-params", "nal-hrd=cbr:force-cfr=1", "-g", "50", "-sc_threshold", "0"),
        *("-c:a", "aac", "-shortest", "-movflags", "+faststart", str(path)),
    )
    return path


def buffered_end(page: Page) -> float:
    return page.evaluate(
        "() => { const v = document.querySelector('video[data-video]');"
        " return v.buffered.length ? v.buffered.end(v.buffered.length - 1) : 0; }"
    )


def current_time(page: Page) -> float:
    return page.evaluate("document.querySelector('video[data-video]').currentTime")


def playing(page: Page, email: str, clip_path: str) -> Page:
    """``page`` signed in as ``email``, playing the clip, past its first second."""
    sign_in(page, email)
    page.goto(clip_path)
    page.locator("[data-action=toggle]").click()
    page.wait_for_function(
        "() => { const v = document.querySelector('video[data-video]');"
        " return v && !v.paused && v.currentTime > 1; }",
        timeout=20_000,
    )
    # The browser buffers ahead in several capped answers, never the whole clip.
    assert buffered_end(page) < SECONDS - 20
    return page


def stops_soon_after(page: Page, clip_path: str) -> None:
    """Called right after access ended: playback runs on through what was buffered, plus at
    most one capped answer, and stops far from the end; the player says so, and the next
    request of the video is refused outright."""
    ended_at = time.monotonic()
    held = buffered_end(page)  # on the device when the change took effect
    last, still_since = current_time(page), time.monotonic()
    while time.monotonic() - still_since < 3:  # stopped: no progress for 3 s
        assert time.monotonic() - ended_at < 60, "the video kept playing"
        time.sleep(0.25)
        now = current_time(page)
        if now > last + 0.01:
            last, still_since = now, time.monotonic()
    assert last <= held + CAP_SECONDS + 1, (last, held)
    assert last < SECONDS - 20, last
    expect(page.locator("[data-video-gone]")).to_be_visible(timeout=10_000)
    assert page.request.get(f"{clip_path}/video", headers={"Range": "bytes=0-"}).status == 404


def test_a_removal_stops_a_playing_video_within_seconds(
    live_server: LiveServer, new_context: Callable[..., Any], tmp_path: Path
) -> None:
    video = constant_rate_video(tmp_path / "minuut.mp4")
    made = subprocess.run(
        [sys.executable, "-c", SETUP, str(video), PARENT_EMAIL, str(SECONDS)],
        cwd=ROOT,
        env=live_server.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    child_id, clip_id, membership_id = made.stdout.split()
    clip_path = f"/children/{child_id}/clips/{clip_id}"

    parent = playing(new_context(**DESKTOP_CONTEXT).new_page(), PARENT_EMAIL, clip_path)

    coach = new_context(**DESKTOP_CONTEXT).new_page()
    sign_in(coach, COACH)
    coach.goto(f"/children/{child_id}/members/{membership_id}/remove")
    coach.locator("main form button[type=submit]").click()
    coach.wait_for_url(f"**/children/{child_id}")
    stops_soon_after(parent, clip_path)


#: A child of its own in the demo school (so Noah's consent stays as the other journeys need
#: it), with the coach and a new parent who signs yes to everything, and a ready school clip
#: shared with the circle; prints the child's and the clip's ids.
SETUP_SIGNED = """
import sys
from pathlib import Path
from sqlalchemy import select
from app import create_app
from app.auth import services as auth
from app.circle.audience import Audience
from app.circle.models import Child, Membership, Role, User
from app.clips.models import Clip, ClipState, Source
from app.consent.models import Answer, Purpose
from app.core import storage
from app.core.db import db
from app.demo import sign_as
app = create_app()
with app.app_context(), app.test_request_context(base_url=app.config["BASE_URL"]):
    noah = db.session.scalar(select(Child).where(Child.name == "Noah Bakker"))
    coach = db.session.scalar(select(User).where(User.email == "coach@regenboog.example"))
    child = Child(school_id=noah.school_id, name="Mila de Wit", date_of_birth=noah.date_of_birth,
                  group_name="groep 4", guiding_question="Wat heeft Mila nodig?",
                  started_on=noah.started_on, created_by_id=coach.id)
    parent = User(email=sys.argv[2], name="Kim de Wit")
    auth.set_password(parent, "samen-kijken-2026")
    db.session.add_all([child, parent])
    db.session.flush()
    db.session.add(Membership(child_id=child.id, user_id=coach.id, role=Role.COACH))
    db.session.add(Membership(child_id=child.id, user_id=parent.id, role=Role.PARENT))
    db.session.flush()
    sign_as(db.session, child, parent, {p: Answer.YES for p in Purpose})
    video = Path(sys.argv[1])
    stored = storage.store_bytes(video.read_bytes(), folder="clips/web", suffix=".mp4")
    clip = Clip(child_id=child.id, source=Source.SCHOOL, uploader_id=coach.id,
                title="Kring van een minuut", audience=Audience.CIRCLE, state=ClipState.READY,
                web_key=stored.key, web_size=stored.size, web_sha256=stored.sha256,
                duration_s=float(sys.argv[3]))
    db.session.add(clip)
    db.session.commit()
    print(child.id, clip.id)
"""

#: The parent's consent to filming at school withdrawn through the consent service.
WITHDRAW = """
import secrets, sys
from sqlalchemy import select
from app import create_app
from app.circle.models import Child, User
from app.consent import services
from app.consent.models import Purpose
from app.core.db import db
from app.core.signin import SignInMethod
app = create_app()
with app.app_context(), app.test_request_context(base_url=app.config["BASE_URL"]):
    child = db.session.get(Child, int(sys.argv[1]))
    parent = db.session.scalar(select(User).where(User.email == sys.argv[2]))
    services.withdraw(db.session, child, parent, [Purpose.SCHOOL_RECORDING],
                      nonce=secrets.token_hex(16),
                      evidence=services.Evidence("127.0.0.1", "e2e", SignInMethod.PASSWORD))
    db.session.commit()
"""


def test_a_withdrawal_stops_a_playing_video_within_seconds(
    live_server: LiveServer, new_context: Callable[..., Any], tmp_path: Path
) -> None:
    email = "ouder.intrekking@example.nl"
    video = constant_rate_video(tmp_path / "minuut.mp4")

    def run(script: str, *args: str) -> str:
        return subprocess.run(
            [sys.executable, "-c", script, *args],
            cwd=ROOT,
            env=live_server.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout

    child_id, clip_id = run(SETUP_SIGNED, str(video), email, str(SECONDS)).split()
    clip_path = f"/children/{child_id}/clips/{clip_id}"
    parent = playing(new_context(**DESKTOP_CONTEXT).new_page(), email, clip_path)

    run(WITHDRAW, child_id, email)
    stops_soon_after(parent, clip_path)
