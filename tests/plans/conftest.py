"""The worlds the plan tests share.

``circle`` (the root conftest) is a child with a coach, a teacher, a specialist and two
parents. ``sources`` adds what a plan adopts from: a meeting for the school side only (the
parents not invited) whose agenda item names a need citing a team-only moment, and a meeting
with the first parent invited where an agreement about home was made; the first parent
signed consent for everything.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.circle.audience import Audience
from app.clips.models import Moment, Tag
from app.core.db import db
from app.meetings.models import AgendaItem, ItemNotes
from app.meetings.models_followup import Agreement, Party
from tests.support.consent import sign_consent
from tests.support.meetings import plan


@pytest.fixture
def sources(app: Any, circle: Any, make_clip: Any, mailbox: Any) -> dict[str, Any]:
    sign_consent(app, circle.child, circle.parent)
    clip = make_clip(circle.child, circle.coach, audience=Audience.TEAM, title="Rekenles")
    moment = Moment(
        child_id=circle.child.id,
        clip_id=clip.id,
        author_id=circle.coach.id,
        start_s=12.0,
        tag=Tag.SUCCESS,
        audience=Audience.TEAM,
        text="Sem helpt een klasgenoot bij de som",
    )
    db.session.add(moment)
    school_only = plan(app, circle.child, circle.coach, [circle.coach, circle.teacher])
    item = AgendaItem(
        meeting_id=school_only.id, child_id=circle.child.id, position=1, clip_id=clip.id
    )
    db.session.add(item)
    db.session.flush()
    need = ItemNotes(
        item_id=item.id,
        meeting_id=school_only.id,
        child_id=circle.child.id,
        seen="Hij kijkt weg bij drukte",
        need="Sem heeft een rustige plek nodig bij de instructie",
        need_moment_id=moment.id,
    )
    db.session.add(need)
    with_parent = plan(app, circle.child, circle.coach, [circle.coach, circle.parent])
    agreement = Agreement(
        meeting_id=with_parent.id,
        child_id=circle.child.id,
        text="Thuis elke avond tien minuten samen lezen",
        party=Party.HOME,
        owner_id=circle.parent.id,
        due_on=with_parent.starts_at.date() + timedelta(days=30),
        created_by_id=circle.coach.id,
    )
    db.session.add(agreement)
    db.session.commit()
    mailbox.clear()
    return {
        "clip": clip,
        "moment": moment,
        "school_only": school_only,
        "need": need,
        "with_parent": with_parent,
        "agreement": agreement,
    }
