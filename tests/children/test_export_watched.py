"""Who watched in a child's export: the playback log as each reader's "who watched" page
shows it, a clip the reader may not see named by its audience alone."""

from __future__ import annotations

import json

from app.circle.audience import Audience
from app.clips.services import streaming
from app.core.db import db
from tests.support.consent import sign_consent
from tests.support.export import export_for, unzip

TEAM_CLIP = "ALLEEN-TEAM kring"


def _watched(app, user, child) -> list[dict]:
    archive = unzip(app, export_for(app, user, child))
    return json.loads(archive.read("records.json"))["watched"]


def test_the_playback_log_goes_into_the_export_as_each_reader_sees_it(app, circle, make_clip):
    sign_consent(app, circle.child, circle.parent)
    team = make_clip(circle.child, circle.coach, audience=Audience.TEAM, title=TEAM_CLIP)
    shared = make_clip(circle.child, circle.coach, audience=Audience.CIRCLE, title="Samen")
    streaming.note_playback(db.session, team, viewer=circle.teacher)
    streaming.note_playback(db.session, shared, viewer=circle.parent)
    db.session.commit()

    coach = _watched(app, circle.coach, circle.child)
    assert {(w["watcher"], w["title"]) for w in coach} == {
        (circle.teacher.name, TEAM_CLIP),
        (circle.parent.name, "Samen"),
    }
    parent = _watched(app, circle.parent, circle.child)
    assert {(w["watcher"], w["title"], w["audience"]) for w in parent} == {
        (circle.teacher.name, None, "team"),
        (circle.parent.name, "Samen", "circle"),
    }
    assert all(w["clip_id"] is None for w in parent if w["title"] is None)
