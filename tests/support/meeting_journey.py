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
import sys
from datetime import date, timedelta

from app import create_app
from app.circle.audience import Audience
from app.circle.models import Child
from app.core.db import db, utcnow
from app.demo import DEMO_PASSWORD
from app.meetings.models import Meeting
from tests.support.server_world import child_with_circle, footage, ready_clip

CHILD = "Lotte de Wit"
PARENT_NAME = "Eva de Wit"
RECORDING = "Kring op maandag"
FRAGMENT = "Lotte vraagt om hulp"
#: How long ago the moved meeting began.
BEGUN_AGO = timedelta(minutes=5)


def seed() -> dict[str, object]:
    app = create_app()
    with app.app_context():
        today = utcnow().date()
        child = Child(
            name=CHILD,
            date_of_birth=date(today.year - 7, 5, 1),
            group_name="groep 4",
            guiding_question="Wat heeft Lotte nodig om hulp te vragen als ze vastloopt?",
            started_on=today - timedelta(days=30),
        )
        world = child_with_circle(
            app, child, PARENT_NAME, "eva.dewit@example.nl", password=DEMO_PASSWORD
        )
        parent, coach = world.parent, world.coach
        media = footage("-movflags", "+faststart")
        recording = ready_clip(app, child, coach, RECORDING, media)
        fragment = ready_clip(
            app, child, coach, FRAGMENT, media,
            audience=Audience.CIRCLE, parent_id=recording.id, start_s=1.0, end_s=5.0,
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
