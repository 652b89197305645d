"""A meeting to run in meeting mode, made in the browser tests' server database.

Run as ``python -m tests.support.meeting_mode`` with the server's environment: it adds a
child of its own to the demo school (Sanne Jansen coach, Fatima El Amrani teacher, a parent
who consented to everything), a school and a home fragment with a moment each and a second
school fragment (tiny synthetic videos), and a shared review a week ahead for the school side
whose agenda is the home/school pair, then the second fragment; and an earlier meeting whose
agreement is still open, so that the shared review has one to review. Prints what it made as
JSON.

A child of its own: the consent journey puts Noah's home recordings on hold (his parents
disagree), which would take the home fragment off a meeting of his.
"""

from __future__ import annotations

import json
import secrets
import tempfile
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from app import create_app
from app.circle.audience import Audience
from app.circle.models import Child, Membership, Role, User
from app.clips.models import Clip, ClipState, Moment, Source, Tag
from app.core import storage
from app.core.db import db, utcnow
from app.meetings.models import AgendaItem
from app.meetings.models_followup import Agreement, Party
from tests.support.consent import sign_consent
from tests.support.demo import COACH
from tests.support.footage import ffmpeg, make_video
from tests.support.meetings import days_ahead, plan

TEACHER = "juf.fatima@regenboog.example"
CHILD = "Mila Vermeer"
#: The agreement still open from the earlier meeting.
EARLIER_AGREEMENT = "Mila begint de dag met een kaartje van wat er komt"


def _clip(files, child, uploader, source, title, video: bytes, poster: bytes) -> Clip:
    web = files.store_bytes(video, folder="clips/web", suffix=".mp4")
    still = files.store_bytes(poster, folder="clips/posters", suffix=".jpg")
    clip = Clip(
        child_id=child.id,
        source=source,
        uploader_id=uploader.id,
        title=title,
        recorded_on=date(2026, 10, 5),
        audience=Audience.TEAM,
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
            email=f"ouder.vermeer.{secrets.token_hex(4)}@example.nl",
            name="Ouder Vermeer",
            preferred_language="nl",
        )
        child = Child(
            school_id=coach.school_id,
            name=CHILD,
            date_of_birth=date(2018, 3, 1),
            group_name="groep 3",
            guiding_question="Wat heeft Mila nodig om aan tafel te blijven zitten?",
            started_on=date(2026, 9, 1),
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
                Path(folder) / "web.mp4",
                seconds=6,
                extra=("-g", "50", "-sc_threshold", "0", "-movflags", "+faststart"),
            )
            still = Path(folder) / "poster.jpg"
            ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240", "-frames:v", "1", str(still))
            video, poster = path.read_bytes(), still.read_bytes()
        files = storage.LocalStorage(Path(app.config["MEDIA_ROOT"]))
        school = _clip(files, child, coach, Source.SCHOOL, "Aan tafel op school", video, poster)
        home = _clip(files, child, parent, Source.HOME, "Aan tafel thuis", video, poster)
        second = _clip(files, child, coach, Source.SCHOOL, "Kring", video, poster)
        moments = [
            Moment(child_id=child.id, clip_id=clip.id, author_id=coach.id, start_s=start,
                   tag=Tag.NEED, audience=Audience.TEAM, text=text)
            for clip, start, text in [(school, 4.0, "Kijkt om"), (home, 2.0, "Staat op")]
        ]  # fmt: skip
        db.session.add_all(moments)
        db.session.commit()

        meeting = plan(app, child, coach, [coach, teacher])
        pair = AgendaItem(
            meeting_id=meeting.id,
            child_id=child.id,
            position=1,
            clip_id=school.id,
            pair_clip_id=home.id,
            prep_note="Vergelijk het begin.",
        )
        single = AgendaItem(meeting_id=meeting.id, child_id=child.id, position=2, clip_id=second.id)
        db.session.add_all([pair, single])
        db.session.commit()
        child_id, teacher_id, coach_id = child.id, teacher.id, coach.id
        made: dict[str, object] = {
            "child_id": child_id,
            "meeting_id": meeting.id,
            "items": [pair.id, single.id],
            "moments": {"school": moments[0].id, "home": moments[1].id},
            "teacher_id": teacher_id,
            "child": CHILD,
        }
        earlier = plan(app, child, coach, [coach, teacher], day=days_ahead(2))
        open_one = Agreement(
            meeting_id=earlier.id,
            child_id=child_id,
            text=EARLIER_AGREEMENT,
            party=Party.SCHOOL,
            owner_id=teacher_id,
            due_on=days_ahead(4),
            created_by_id=coach_id,
        )
        db.session.add(open_one)
        db.session.commit()
        return {**made, "earlier_agreement": open_one.id}


if __name__ == "__main__":
    print(json.dumps(seed()))
