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
from datetime import date

from app import create_app
from app.circle.audience import Audience
from app.circle.models import Child
from app.clips.models import Moment, Source, Tag
from app.core.db import db
from app.meetings.models import AgendaItem
from app.meetings.models_followup import Agreement, Party
from tests.support.meetings import days_ahead, plan
from tests.support.server_world import child_with_circle, footage, ready_clip

CHILD = "Mila Vermeer"
#: The agreement still open from the earlier meeting.
EARLIER_AGREEMENT = "Mila begint de dag met een kaartje van wat er komt"


def seed() -> dict[str, object]:
    app = create_app()
    with app.app_context():
        child = Child(
            name=CHILD,
            date_of_birth=date(2018, 3, 1),
            group_name="groep 3",
            guiding_question="Wat heeft Mila nodig om aan tafel te blijven zitten?",
            started_on=date(2026, 9, 1),
        )
        world = child_with_circle(app, child, "Ouder Vermeer", "ouder.vermeer@example.nl")
        coach, teacher, parent = world.coach, world.teacher, world.parent
        media = footage("-g", "50", "-sc_threshold", "0", "-movflags", "+faststart")
        on = date(2026, 10, 5)
        school = ready_clip(app, child, coach, "Aan tafel op school", media, recorded_on=on)
        home = ready_clip(
            app, child, parent, "Aan tafel thuis", media, source=Source.HOME, recorded_on=on
        )
        second = ready_clip(app, child, coach, "Kring", media, recorded_on=on)
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
