"""The worlds the meeting tests share.

``circle`` (the root conftest) is a child with a coach, a teacher, a specialist and two
parents; ``planned`` adds a shared review a week ahead to which the coach invited the teacher
and the first parent (not the specialist, not the second parent).
"""

from __future__ import annotations

from typing import Any

import pytest

from app.circle.audience import Audience
from app.clips.models import Moment, Source, Tag
from app.core.db import db
from app.meetings.models import AgendaItem
from tests.support.consent import sign_consent
from tests.support.meetings import plan


@pytest.fixture
def planned(app: Any, circle: Any, mailbox: Any) -> Any:
    """A shared review a week ahead: coach, teacher and the first parent invited; consent
    for everything signed by that parent; the invitation mails cleared away."""
    sign_consent(app, circle.child, circle.parent)
    meeting = plan(app, circle.child, circle.coach, [circle.coach, circle.teacher, circle.parent])
    mailbox.clear()
    return meeting


@pytest.fixture
def agenda(circle: Any, planned: Any, make_clip: Any) -> dict[str, Any]:
    """The planned meeting's agenda: a school fragment beside a home fragment (both for the
    whole circle), with a moment for the circle in each and one for the team only."""
    school = make_clip(circle.child, circle.coach, audience=Audience.CIRCLE, title="Kring school")
    home = make_clip(
        circle.child, circle.parent, source=Source.HOME, audience=Audience.CIRCLE, title="Thuis"
    )
    moments = {
        name: Moment(
            child_id=circle.child.id,
            clip_id=clip.id,
            author_id=circle.coach.id,
            start_s=start,
            tag=Tag.NEED,
            audience=audience,
            text=name,
        )
        for name, clip, start, audience in [
            ("school", school, 2.5, Audience.CIRCLE),
            ("home", home, 1.5, Audience.CIRCLE),
            ("team", school, 3.0, Audience.TEAM),
        ]
    }
    db.session.add_all(moments.values())
    item = AgendaItem(
        meeting_id=planned.id,
        child_id=circle.child.id,
        position=1,
        clip_id=school.id,
        pair_clip_id=home.id,
        prep_note="Let op de overgang",
    )
    db.session.add(item)
    db.session.commit()
    return {"item": item, "school": school, "home": home, **moments}
