"""Planning meetings in tests through the real services, at times computed from the clock
(never written as dates), and reading the calendar files they send."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from app.circle.models import Child, User
from app.circle.policy import seat_for
from app.core.db import db, utcnow
from app.meetings.models import Meeting, MeetingKind
from app.meetings.models_followup import Agreement, Party
from app.meetings.services import planning

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def days_ahead(days: int) -> date:
    """The date ``days`` from today on the school's calendar."""
    return utcnow().astimezone(AMSTERDAM).date() + timedelta(days=days)


def agreement_made(circle: Any, meeting: Meeting, text: str, due: int, owner: Any) -> Agreement:
    """An agreement for the home made in ``meeting`` by the circle's coach, owned by
    ``owner`` and due in ``due`` days, flushed."""
    made = Agreement(
        child_id=circle.child.id,
        meeting_id=meeting.id,
        text=text,
        party=Party.HOME,
        owner_id=owner.id,
        due_on=days_ahead(due),
        created_by_id=circle.coach.id,
    )
    db.session.add(made)
    db.session.flush()
    return made


def plan(
    app: Any,
    child: Child,
    coach: User,
    invitees: list[User],
    *,
    day: date | None = None,
    start: time = time(10, 0),
    end: time = time(11, 0),
    kind: MeetingKind = MeetingKind.SHARED_REVIEW,
    place: str = "Lokaal 12",
) -> Meeting:
    """Plan a meeting (a week ahead unless ``day`` says otherwise) as ``coach`` and commit."""
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        seat = seat_for(db.session.get(User, coach.id), db.session.get(Child, child.id))
        assert seat is not None
        data = planning.MeetingData(
            kind=kind,
            day=day or days_ahead(7),
            start=start,
            end=end,
            place=place,
            guiding_question=child.guiding_question,
            invitee_ids=frozenset(u.id for u in invitees),
        )
        meeting = planning.plan_meeting(db.session, seat, data)
        db.session.commit()
        meeting_id = meeting.id
    return db.session.get(Meeting, meeting_id)


def calendar_in(message: EmailMessage) -> icalendar.Calendar:
    """The calendar file attached to ``message``, parsed by ``icalendar``."""
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return icalendar.Calendar.from_ical(part.get_payload(decode=True))
    raise AssertionError("no calendar file in the mail")


def event_of(calendar: icalendar.Calendar) -> icalendar.Event:
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


def last_sunday_of_october(year: int) -> date:
    day = date(year, 10, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def next_october_change() -> date:
    """The next autumn clock change at least two weeks from now (Europe/Amsterdam)."""
    today = days_ahead(0)
    change = last_sunday_of_october(today.year)
    if change < today + timedelta(days=14):
        change = last_sunday_of_october(today.year + 1)
    return change


def local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=AMSTERDAM)


def edit_form(meeting: Meeting, invitees: list[User], **values: Any) -> dict[str, Any]:
    """The meeting's edit form as the page fills it in, with ``invitees`` ticked and
    ``values`` typed over it."""
    starts = meeting.starts_at.astimezone(AMSTERDAM)
    data: dict[str, Any] = {
        "kind": meeting.kind.value,
        "day": starts.date().isoformat(),
        "start": starts.strftime("%H:%M"),
        "end": meeting.ends_at.astimezone(AMSTERDAM).strftime("%H:%M"),
        "place": meeting.place,
        "guiding_question": meeting.guiding_question,
        "invitees": [str(u.id) for u in invitees],
        "version": str(meeting.version),
    }
    data.update(values)
    return data


def mode_url(meeting, tail: str = "") -> str:
    return f"/children/{meeting.child_id}/meetings/{meeting.id}/mode{tail}"


def notes_url(meeting, item) -> str:
    return mode_url(meeting, f"/items/{item.id}/notes")


def fields(item, seen="", need="", moment="", version="0") -> dict[str, str]:
    p = f"item-{item.id}-"
    return {p + "seen": seen, p + "need": need, p + "moment": moment, p + "version": version}
