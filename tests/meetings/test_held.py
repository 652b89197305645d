"""A planned meeting becomes held when the group first writes in it once it has begun: its
time, invitees and agenda then stay as they were, and the page says "Held"."""

from __future__ import annotations

from datetime import time

import time_machine
from sqlalchemy import select

from app.core.audit import AuditEvent
from app.core.db import db
from app.meetings.models import Meeting, MeetingState
from tests.support.meetings import edit_form
from tests.support.summaries import add_agenda, during


def _mode(meeting, tail=""):
    return f"/children/{meeting.child_id}/meetings/{meeting.id}/mode{tail}"


def _state(meeting) -> MeetingState:
    db.session.expire_all()
    return db.session.get(Meeting, meeting.id).state


def _held_events(meeting) -> int:
    rows = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "meeting_held", AuditEvent.object_id == meeting.id
        )
    )
    return len(list(rows))


def _notes(item, text):
    p = f"item-{item.id}-"
    return {p + "seen": text, p + "need": "", p + "moment": "", p + "version": "0"}


def test_notes_written_once_the_meeting_has_begun_mark_it_held(
    client, login_as, circle, planned, make_clip
):
    item = add_agenda(planned, circle, make_clip)[0]
    # Before its start (the coach tries the screen out): still planned.
    with time_machine.travel(during(planned, time(9, 0)), tick=False):
        login_as(circle.coach)
        client.post(_mode(planned, "/attendance"), data={"marked": "1"})
        assert _state(planned) is MeetingState.PLANNED
    with time_machine.travel(during(planned), tick=False):
        login_as(circle.coach)  # the try-out's session has timed out meanwhile
        answer = client.post(_mode(planned, f"/items/{item.id}/notes"), data=_notes(item, "Rust"))
        assert answer.status_code == 302
        assert _state(planned) is MeetingState.HELD
        assert _held_events(planned) == 1
        page = client.get(f"/children/{planned.child_id}/meetings/{planned.id}?lang=en").get_data(
            as_text=True
        )
        assert "Held" in page
        # It took place: its time and invitees are no longer changed, its agenda neither.
        moved = client.post(
            f"/children/{planned.child_id}/meetings/{planned.id}/edit?lang=en",
            data=edit_form(planned, [circle.coach], start="11:00"),
        )
        assert moved.status_code == 302
        assert "no longer planned" in client.get(moved.location).get_data(as_text=True)
        db.session.expire_all()
        assert db.session.get(Meeting, planned.id).starts_at == planned.starts_at
        # Writing on does not mark it twice.
        client.post(
            _mode(planned, "/attendance"), data={"marked": "1", "present": [circle.coach.id]}
        )
        assert _held_events(planned) == 1


def test_attendance_of_someone_present_marks_it_held(client, login_as, circle, planned):
    with time_machine.travel(during(planned), tick=False):
        login_as(circle.coach)
        nobody = client.post(_mode(planned, "/attendance"), data={"marked": "1"})
        assert nobody.status_code == 302 and _state(planned) is MeetingState.PLANNED
        client.post(
            _mode(planned, "/attendance"),
            data={"marked": "1", "present": [circle.coach.id, circle.parent.id]},
        )
        assert _state(planned) is MeetingState.HELD
