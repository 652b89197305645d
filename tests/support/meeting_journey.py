"""The world of the meeting journey, made in the browser tests' server database.

Run as ``python -m tests.support.meeting_journey`` with the server's environment: it adds a
child of its own to the demo school (Sanne Jansen coach, Fatima El Amrani teacher) with a parent
who signs in with the demo password and consented to everything, and two ready clips made of
synthetic footage: a school recording for the team only and a fragment cut from it that the
whole circle, parents included, may see. Prints what it made as JSON.

``python -m tests.support.meeting_journey begin <meeting id>`` stands in for the week between
planning and the meeting: the server runs on the real clock, which a test cannot pin, so the
meeting is moved to have begun a few minutes ago (keeping its length), as a meeting that was
held is. Nothing else changes.

A child of its own: the consent journey puts Noah's home recordings on hold, and the other
journeys add meetings of his.
"""

from __future__ import annotations

import json
import secrets
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from app import create_app
from app.auth import services as auth
from app.circle.audience import Audience
from app.circle.models import Child, Membership, Role, User
from app.clips.models import Clip, ClipState, Source
from app.core import storage
from app.core.db import db, utcnow
from app.demo import DEMO_PASSWORD
from app.meetings.models import Meeting
from tests.support.consent import sign_consent
from tests.support.demo import COACH
from tests.support.footage import ffmpeg, make_video

TEACHER = "juf.fatima@regenboog.example"
CHILD = "Lotte de Wit"
PARENT_NAME = "Eva de Wit"
RECORDING = "Kring op maandag"
FRAGMENT = "Lotte vraagt om hulp"
#: How long ago the moved meeting began.
BEGUN_AGO = timedelta(minutes=5)


def _clip(files, child, uploader, title: str, audience: Audience, video: bytes, poster: bytes,
          **values) -> Clip:  # fmt: skip
    web = files.store_bytes(video, folder="clips/web", suffix=".mp4")
    still = files.store_bytes(poster, folder="clips/posters", suffix=".jpg")
    clip = Clip(
        child_id=child.id,
        source=Source.SCHOOL,
        uploader_id=uploader.id,
        title=title,
        recorded_on=utcnow().date() - timedelta(days=3),
        audience=audience,
        state=ClipState.READY,
        progress=100,
        web_key=web.key,
        web_size=web.size,
        web_sha256=web.sha256,
        poster_key=still.key,
        duration_s=6.0,
        width=320,
        height=240,
        ready_at=utcnow(),
        **values,
    )
    db.session.add(clip)
    db.session.flush()
    return clip


def seed() -> dict[str, object]:
    app = create_app()
    with app.app_context():
        coach = db.session.scalar(select(User).where(User.email == COACH))
        teacher = db.session.scalar(select(User).where(User.email == TEACHER))
        assert coach is not None and teacher is not None
        parent = User(
            email=f"eva.dewit.{secrets.token_hex(4)}@example.nl",
            name=PARENT_NAME,
            preferred_language="nl",
        )
        auth.set_password(parent, DEMO_PASSWORD)
        today = utcnow().date()
        child = Child(
            school_id=coach.school_id,
            name=CHILD,
            date_of_birth=date(today.year - 7, 5, 1),
            group_name="groep 4",
            guiding_question="Wat heeft Lotte nodig om hulp te vragen als ze vastloopt?",
            started_on=today - timedelta(days=30),
        )
        db.session.add_all([parent, child])
        db.session.flush()
        since = utcnow() - timedelta(days=1)
        for user, role in [(coach, Role.COACH), (teacher, Role.TEACHER), (parent, Role.PARENT)]:
            db.session.add(
                Membership(child_id=child.id, user_id=user.id, role=role, active_from=since)
            )
        db.session.commit()
        sign_consent(app, child, parent)

        with tempfile.TemporaryDirectory() as folder:
            path = make_video(
                Path(folder) / "web.mp4", seconds=6, extra=("-movflags", "+faststart")
            )
            still = Path(folder) / "poster.jpg"
            ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240", "-frames:v", "1", str(still))
            video, poster = path.read_bytes(), still.read_bytes()
        files = storage.LocalStorage(Path(app.config["MEDIA_ROOT"]))
        recording = _clip(files, child, coach, RECORDING, Audience.TEAM, video, poster)
        fragment = _clip(
            files, child, coach, FRAGMENT, Audience.CIRCLE, video, poster,
            parent_id=recording.id, start_s=1.0, end_s=5.0,
        )  # fmt: skip
        db.session.commit()
        return {
            "child_id": child.id,
            "child": CHILD,
            "parent_email": parent.email,
            "parent_name": PARENT_NAME,
            "fragment_id": fragment.id,
            "recording_id": recording.id,
        }


def begin(meeting_id: int) -> dict[str, object]:
    """Move the meeting so that it began :data:`BEGUN_AGO`, keeping its length."""
    app = create_app()
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        assert meeting is not None
        length = meeting.ends_at - meeting.starts_at
        meeting.starts_at = utcnow() - BEGUN_AGO
        meeting.ends_at = meeting.starts_at + length
        db.session.commit()
        return {"meeting_id": meeting.id, "starts_at": meeting.starts_at.isoformat()}


if __name__ == "__main__":
    if sys.argv[1:2] == ["begin"]:
        print(json.dumps(begin(int(sys.argv[2]))))
    else:
        print(json.dumps(seed()))
