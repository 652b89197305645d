"""The meeting pages as each person sees them: the list, ids of another child, the audit
trail, and a fixed number of queries on the child's page."""

from __future__ import annotations

from datetime import date, timedelta

import icalendar
from sqlalchemy import event, select

from app.core.audit import AuditEvent
from app.core.db import db
from app.meetings.models import Meeting
from tests.support.meetings import days_ahead, edit_form, plan


def test_the_list_shows_a_parent_only_the_meetings_they_are_invited_to(
    app, client, login_as, circle, planned
):
    team_only = plan(app, circle.child, circle.coach, [circle.coach, circle.teacher])
    url = f"/children/{circle.child.id}/meetings"
    login_as(circle.parent)
    page = client.get(url).get_data(as_text=True)
    assert f"/meetings/{planned.id}" in page and f"/meetings/{team_only.id}" not in page
    client.post("/sign-out")
    login_as(circle.specialist)  # school side: every meeting, invited or not
    page = client.get(url).get_data(as_text=True)
    assert f"/meetings/{planned.id}" in page and f"/meetings/{team_only.id}" in page


def test_ids_are_looked_up_within_their_child(
    app, client, login_as, circle, planned, make_child, make_clip
):
    other = make_child("Ander Kind", coach=circle.coach)
    theirs = plan(app, other, circle.coach, [circle.coach])
    login_as(circle.coach)
    base = f"/children/{circle.child.id}/meetings"
    assert client.get(f"{base}/{theirs.id}").status_code == 404
    assert client.get(f"{base}/{theirs.id}/calendar.ics").status_code == 404
    assert client.post(f"{base}/{theirs.id}/cancel", data={"version": "1"}).status_code == 404
    assert client.get(f"{base}/{planned.id}/agenda/999999/edit").status_code == 404


def test_planning_changing_and_cancelling_are_audited(client, login_as, circle, planned):
    login_as(circle.coach)
    base = f"/children/{circle.child.id}/meetings/{planned.id}"
    data = edit_form(planned, [circle.coach, circle.parent], place="Lokaal 3")
    assert client.post(base + "/edit", data=data).status_code == 302
    client.post(base + "/cancel", data={"version": str(planned.version + 1)})
    actions = set(
        db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "Meeting"))
    )
    assert {"meeting_planned", "meeting_changed", "meeting_cancelled"} <= actions


def test_a_cancelled_meetings_calendar_file_cancels(client, login_as, circle, planned):
    login_as(circle.coach)
    base = f"/children/{circle.child.id}/meetings/{planned.id}"
    client.post(base + "/cancel", data={"version": str(planned.version)})
    calendar = icalendar.Calendar.from_ical(client.get(base + "/calendar.ics").data)
    assert calendar["METHOD"] == "CANCEL"


def test_a_time_the_clocks_skip_is_refused(client, login_as, circle):
    today = days_ahead(0)
    year = today.year + 1
    march_change = date(year, 3, 31) - timedelta(days=(date(year, 3, 31).weekday() + 1) % 7)
    login_as(circle.coach)
    response = client.post(
        f"/children/{circle.child.id}/meetings/new?lang=en",
        data={
            "kind": "intake",
            "day": march_change.isoformat(),
            "start": "02:30",
            "end": "03:30",
            "place": "Lokaal 12",
            "guiding_question": "Wat heeft Sem nodig?",
            "invitees": [str(circle.parent.id)],
        },
    )
    assert response.status_code == 400
    assert "the clocks go forward" in response.get_data(as_text=True)


def test_the_childs_page_asks_as_many_queries_whatever_the_number_of_meetings(
    app, client, login_as, circle, planned
):
    login_as(circle.parent)

    def queries() -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, *args):  # noqa: ANN001
            if statement.lstrip().upper().startswith("SELECT"):
                seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(f"/children/{circle.child.id}").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    few = queries()
    for days in (8, 9, 10, 11):
        plan(app, circle.child, circle.coach, [circle.parent], day=days_ahead(days))
    assert queries() == few


def test_a_cancelled_meeting_is_not_changed_nor_prepared(client, login_as, circle, planned):
    login_as(circle.coach)
    base = f"/children/{circle.child.id}/meetings/{planned.id}"
    client.post(base + "/cancel", data={"version": str(planned.version)})
    for tail in ("/edit", "/agenda", "/cancel"):
        response = client.get(base + tail + "?lang=en")
        assert response.status_code == 302, tail
        assert response.headers["Location"].endswith(base)
    data = edit_form(planned, [circle.parent], place="Elders", version=str(planned.version + 1))
    client.post(base + "/edit", data=data)
    db.session.expire_all()
    assert db.session.get(Meeting, planned.id).place == "Lokaal 12"
