"""The processing panel in a real browser: it follows a conversion as it happens.

Sanne Jansen (the demo school's coach) opens a clip of Noah that is still waiting for the
worker. The worker is a separate process started by the test; the page, polling the status
route, shows the poster as soon as it exists, the progress bar moving, and then reloads into
the player by itself.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import ROOT, LiveServer, sign_in
from tests.support.demo import COACH
from tests.support.footage import make_video

pytestmark = pytest.mark.e2e

#: Makes an uploaded clip of Noah (the coach's, school recording) with ``argv[1]`` as its
#: original, in the server's database and media folder; prints the child's and clip's ids.
UPLOAD = """
import sys
from pathlib import Path
from sqlalchemy import select
from app import create_app
from app.circle.models import User
from app.clips.models import Clip, ClipState, Source
from app.circle.audience import Audience
from app.core import storage
from app.core.db import db
from app.circle.models import Child
app = create_app()
with app.app_context():
    child = db.session.scalar(select(Child).where(Child.name == "Noah Bakker"))
    coach = db.session.scalar(select(User).where(User.email == "coach@regenboog.example"))
    video = Path(sys.argv[1])
    with video.open("rb") as body:
        stored = storage.store_stream(body, folder="clips/originals", suffix=".mp4",
                                      length=video.stat().st_size)
    clip = Clip(child_id=child.id, source=Source.SCHOOL, uploader_id=coach.id,
                title="Kring, nog niet omgezet", audience=Audience.TEAM,
                state=ClipState.UPLOADED, original_key=stored.key, original_size=stored.size)
    db.session.add(clip)
    db.session.commit()
    print(child.id, clip.id)
"""

WORKER = """
import sys
from app import create_app
from app.clips.services import conversion
with create_app().app_context():
    print(conversion.convert(int(sys.argv[1])))
"""


def python(server: LiveServer, code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=server.env,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_the_panel_shows_poster_and_progress_and_turns_into_the_player(
    live_server: LiveServer, page: Page, check_a11y, tmp_path: Path
):
    # Long and large enough that the conversion takes a few seconds to watch.
    video = make_video(tmp_path / "kring.mp4", seconds=20, size="1280x720", rate=30)
    made = python(live_server, UPLOAD, str(video))
    child_id, clip_id = made.communicate(timeout=60)[0].split()
    sign_in(page, COACH)

    page.goto(f"/children/{child_id}/clips/{clip_id}")
    panel = page.locator("[data-clip-status]")
    expect(panel).to_have_attribute("data-state", "uploaded")
    expect(page.locator("[data-status-poster]")).to_be_hidden()
    expect(page.locator("video[data-video]")).to_have_count(0)
    check_a11y(page)

    worker = python(live_server, WORKER, clip_id)
    try:
        expect(panel).to_have_attribute("data-state", "processing", timeout=20_000)
        expect(page.locator("[data-status-poster]")).to_be_visible(timeout=20_000)
        page.wait_for_function(
            "() => { const bar = document.querySelector('[data-clip-status] progress');"
            " return bar && bar.value > 0 && bar.value < 100; }",
            timeout=30_000,
        )
        # Ready: the page reloads itself into the player.
        expect(page.locator("video[data-video]")).to_be_visible(timeout=90_000)
    finally:
        assert worker.communicate(timeout=120)[0].strip() == "ready"
    expect(page.locator("[data-clip-status]")).to_have_count(0)
