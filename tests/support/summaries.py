"""A meeting that was held: an agenda (one item a home/school pair, each with a staff-only
note), an agreement, and the clock moved into it, ready to be finalised."""

from __future__ import annotations

import subprocess
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

from app.circle.audience import Audience
from app.clips.models import Source
from app.core.db import db
from app.meetings.models import AgendaItem, Meeting
from app.meetings.models_followup import Agreement, Party
from tests.support.meetings import local

#: A preparation note that must never reach a parent, a PDF or a mail.
SECRET_NOTE = "VOORBEREIDING-ALLEEN-TEAM"
AGREED = "Elke ochtend samen de dag doorlopen"


def add_agenda(meeting: Meeting, circle: Any, make_clip: Any) -> list[AgendaItem]:
    """Two items on ``meeting``'s agenda (one a home/school pair), each with a secret note."""
    school = make_clip(circle.child, circle.coach, audience=Audience.CIRCLE, title="Kring school")
    home = make_clip(
        circle.child,
        circle.parent,
        audience=Audience.CIRCLE,
        title="Thuis spelen",
        source=Source.HOME,
    )
    fragment = make_clip(
        circle.child,
        circle.coach,
        audience=Audience.CIRCLE,
        title="Rekenles fragment",
        parent=school,
        start_s=12.0,
        end_s=22.5,
    )
    items = [
        AgendaItem(
            meeting_id=meeting.id,
            child_id=meeting.child_id,
            position=1,
            clip_id=school.id,
            pair_clip_id=home.id,
            prep_note=SECRET_NOTE,
        ),
        AgendaItem(
            meeting_id=meeting.id,
            child_id=meeting.child_id,
            position=2,
            clip_id=fragment.id,
            prep_note=SECRET_NOTE + " twee",
        ),
    ]
    db.session.add_all(items)
    db.session.add(
        Agreement(
            meeting_id=meeting.id,
            child_id=meeting.child_id,
            text=AGREED,
            party=Party.SCHOOL,
            owner_id=circle.teacher.id,
            due_on=meeting_day(meeting) + timedelta(days=14),
            created_by_id=circle.coach.id,
        )
    )
    db.session.commit()
    return items


def meeting_day(meeting: Meeting) -> date:
    from tests.support.meetings import AMSTERDAM

    return meeting.starts_at.astimezone(AMSTERDAM).date()


def during(meeting: Meeting, at: time = time(10, 30)) -> Any:
    """The instant ``at`` on the meeting's day, on the school's clock."""
    return local(meeting_day(meeting), at)


def finalise_form(meeting: Meeting, attendees: list[Any], **values: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "seen": "Noah neemt initiatief als hij de tijd krijgt.",
        "need": "Tijd om te beginnen, en een vaste plek.",
        "attendees": [str(a.id) for a in attendees],
        "version": str(meeting.version),
    }
    data.update(values)
    return data


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "summary.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdfsig(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "sealed.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
