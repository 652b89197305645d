"""The world of the support plan journey, made in the browser tests' server database.

Run as ``python -m tests.support.plan_journey`` with the server's environment: it adds a
child of its own to the demo school (Sanne Jansen coach, Fatima El Amrani teacher) with a
parent who signs in with the demo password and consented to everything, a school recording
only the team sees (tiny synthetic footage), and a team meeting about it that was held an
hour ago: the parent is not invited, and the recording on its agenda is the team's, so the
need written in its notes (through meeting mode's own service) is a source the parent may
not see. Prints what it made as JSON.

A child of its own: no plan yet, so the need starts its first draft; and the other journeys
add meetings and plans of the demo children.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from app import create_app
from app.circle.models import Child, User
from app.circle.policy import seat_for
from app.core.db import db, utcnow
from app.demo import DEMO_PASSWORD
from app.meetings.models import AgendaItem, Meeting
from app.meetings.services import notes
from tests.support.meetings import plan
from tests.support.server_world import child_with_circle, footage, ready_clip

CHILD = "Sem Mulder"
PARENT_NAME = "Anouk Mulder"
RECORDING = "Rekenen aan de instructietafel"
SEEN = "Sem begint pas als juf naast hem komt zitten."
NEED = "Sem heeft nodig dat hij de eerste opdracht samen met juf maakt."
#: When the held meeting began, and how long it took.
BEGAN_AGO = timedelta(hours=2)
LENGTH = timedelta(hours=1)


def seed() -> dict[str, object]:
    app = create_app()
    with app.app_context():
        today = utcnow().date()
        child = Child(
            name=CHILD,
            date_of_birth=date(today.year - 8, 2, 1),
            group_name="groep 5",
            guiding_question="Wat heeft Sem nodig om zelf aan een opdracht te beginnen?",
            started_on=today - timedelta(days=60),
        )
        world = child_with_circle(
            app, child, PARENT_NAME, "anouk.mulder@example.nl", password=DEMO_PASSWORD
        )
        parent, coach, teacher = world.parent, world.coach, world.teacher
        media = footage("-movflags", "+faststart")
        recording = ready_clip(app, child, coach, RECORDING, media)  # the team's only
        db.session.commit()

        # Planned ahead through the real service (no parent invited), then moved to have been
        # held: the server runs on the real clock, which the seed cannot pin.
        meeting = plan(app, child, coach, [coach, teacher])
        item = AgendaItem(
            meeting_id=meeting.id, child_id=child.id, position=1, clip_id=recording.id
        )
        db.session.add(item)
        meeting.starts_at = utcnow() - BEGAN_AGO
        meeting.ends_at = meeting.starts_at + LENGTH
        db.session.commit()
        with app.test_request_context(base_url=app.config["BASE_URL"]):
            seat = seat_for(db.session.get(User, coach.id), db.session.get(Child, child.id))
            assert seat is not None
            held = db.session.get(Meeting, meeting.id)
            assert held is not None
            row = notes.save_notes(
                db.session,
                seat,
                held,
                item,
                notes.NotesData(seen=SEEN, need=NEED, moment_id=None),
                version=0,
            )  # marks the meeting held, as writing in it does
            db.session.commit()
            made: dict[str, object] = {
                "child_id": child.id,
                "child": CHILD,
                "parent_email": parent.email,
                "parent_name": PARENT_NAME,
                "meeting_id": held.id,
                "meeting_state": held.state.value,
                "need_id": row.id,
                "item_id": item.id,
                "recording_id": recording.id,
            }
        return made


if __name__ == "__main__":
    print(json.dumps(seed()))
