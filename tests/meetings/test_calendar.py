"""The calendar files of a meeting, read back with ``icalendar`` (an independent parser): an
invitation, an update with a higher SEQUENCE and the same UID, a cancellation, and wall-clock
times that hold across the October clock change."""

from __future__ import annotations

from datetime import UTC, time, timedelta

import icalendar
import time_machine

from app.core.db import db
from app.meetings.models import Meeting
from tests.support.meetings import (
    AMSTERDAM,
    calendar_in,
    days_ahead,
    edit_form,
    event_of,
    local,
    next_october_change,
    plan,
)


def attendees(event) -> dict[str, str]:
    found = event.get("ATTENDEE")
    found = found if isinstance(found, list) else [found]
    return {str(a).removeprefix("mailto:"): str(a.params["ROLE"]) for a in found}


def test_the_invitation_is_a_calendar_request(app, circle, planned, mailbox):
    meeting = plan(app, circle.child, circle.coach, [circle.coach, circle.teacher, circle.parent])
    message = mailbox.last_to(circle.parent.email)
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert parts and parts[0].get_param("method") == "REQUEST"
    calendar = calendar_in(message)
    assert calendar["METHOD"] == "REQUEST"
    event = event_of(calendar)
    assert str(event["UID"]) == meeting.ical_uid
    assert event["SEQUENCE"] == 0
    assert str(event["ORGANIZER"]) == f"mailto:{circle.coach.email}"
    assert attendees(event) == {
        circle.coach.email: "CHAIR",
        circle.teacher.email: "REQ-PARTICIPANT",
        circle.parent.email: "REQ-PARTICIPANT",
    }
    assert event["DTSTART"].params["TZID"] == "Europe/Amsterdam"
    assert event["DTSTART"].dt.astimezone(AMSTERDAM).time() == time(10, 0)
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Amsterdam"]
    assert str(event["LOCATION"]) == "Lokaal 12"


def test_a_change_is_sent_again_with_a_higher_sequence_and_the_same_uid(
    client, login_as, circle, planned, mailbox
):
    login_as(circle.coach)
    url = f"/children/{circle.child.id}/meetings/{planned.id}/edit"
    # The teacher is no longer invited.
    data = edit_form(planned, [circle.coach, circle.parent], start="13:30", end="14:30")
    assert client.post(url, data=data).status_code == 302

    update = event_of(calendar_in(mailbox.last_to(circle.parent.email)))
    assert str(update["UID"]) == planned.ical_uid
    assert update["SEQUENCE"] == 1
    assert update["DTSTART"].dt.astimezone(AMSTERDAM).time() == time(13, 30)
    dropped = calendar_in(mailbox.last_to(circle.teacher.email))
    assert dropped["METHOD"] == "CANCEL"
    assert str(event_of(dropped)["UID"]) == planned.ical_uid
    assert attendees(event_of(dropped)) == {circle.teacher.email: "REQ-PARTICIPANT"}


def test_a_save_that_changes_nothing_sends_nothing(client, login_as, circle, planned, mailbox):
    login_as(circle.coach)
    data = edit_form(planned, [circle.coach, circle.teacher, circle.parent])
    response = client.post(f"/children/{circle.child.id}/meetings/{planned.id}/edit", data=data)
    assert response.status_code == 302
    assert mailbox.messages == []
    db.session.expire_all()
    assert db.session.get(Meeting, planned.id).ical_sequence == 0


def test_a_cancellation_is_a_calendar_cancel(client, login_as, circle, planned, mailbox):
    login_as(circle.coach)
    url = f"/children/{circle.child.id}/meetings/{planned.id}/cancel"
    assert client.post(url, data={"version": str(planned.version)}).status_code == 302
    for person in (circle.coach, circle.teacher, circle.parent):
        calendar = calendar_in(mailbox.last_to(person.email))
        assert calendar["METHOD"] == "CANCEL"
        event = event_of(calendar)
        assert str(event["UID"]) == planned.ical_uid
        assert event["SEQUENCE"] == 1
        assert str(event["STATUS"]) == "CANCELLED"
    # Cancelling twice changes nothing and says why.
    again = client.post(url + "?lang=en", data={"version": str(planned.version + 1)})
    assert again.status_code == 302
    page = client.get(again.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "no longer planned" in page
    assert len(mailbox.to(circle.parent.email)) == 1


def test_ten_oclock_after_the_october_change_stays_ten_oclock(app, circle, mailbox):
    change = next_october_change()
    with time_machine.travel(local(change - timedelta(days=6), time(9, 0)), tick=False):
        before = plan(app, circle.child, circle.coach, [circle.parent], day=change - timedelta(2))
        after = plan(app, circle.child, circle.coach, [circle.parent], day=change + timedelta(2))
        assert mailbox.to(circle.parent.email)
    events = [event_of(calendar_in(m)) for m in mailbox.to(circle.parent.email)]
    by_uid = {str(e["UID"]): e for e in events}
    summer, winter = by_uid[before.ical_uid], by_uid[after.ical_uid]
    for event in (summer, winter):
        assert event["DTSTART"].dt.astimezone(AMSTERDAM).time() == time(10, 0)
    assert summer["DTSTART"].dt.astimezone(UTC).hour == 8  # CEST, UTC+2
    assert winter["DTSTART"].dt.astimezone(UTC).hour == 9  # CET, UTC+1
    # The file's own VTIMEZONE says the same, for an app that reads only the file.
    calendar = calendar_in(mailbox.to(circle.parent.email)[-1])
    zone = calendar.walk("VTIMEZONE")[0].to_tz()
    wall = winter["DTSTART"].dt.replace(tzinfo=None)
    assert wall.replace(tzinfo=zone).astimezone(UTC).hour == 9


def test_each_invitee_downloads_the_calendar_file_from_the_page(client, login_as, circle, planned):
    login_as(circle.parent)
    page = client.get(f"/children/{circle.child.id}/meetings/{planned.id}?lang=en")
    assert "Add to my calendar" in page.get_data(as_text=True)
    response = client.get(f"/children/{circle.child.id}/meetings/{planned.id}/calendar.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    event = event_of(icalendar.Calendar.from_ical(response.data))
    assert str(event["UID"]) == planned.ical_uid


def test_a_meeting_far_ahead_still_carries_its_zone(app, circle, mailbox):
    meeting = plan(app, circle.child, circle.coach, [circle.teacher], day=days_ahead(500))
    calendar = calendar_in(mailbox.last_to(circle.teacher.email))
    event = event_of(calendar)
    assert event["DTSTART"].dt == meeting.starts_at
    assert calendar.walk("VTIMEZONE")
