"""The child's meetings and agreements lists read plain rows a page at a time
(app/meetings/services/lists.py) and draw a row once, filled in for each row
(app/meetings/views/list_rows.py): the rows are those the entities' statements page through,
for each way of seeing the child's meetings, and the pages say what the rows the template
drew one at a time said, escaped alike."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from flask import render_template_string

from app.circle.policy import seat_for
from app.core import paging
from app.core.db import db
from app.meetings.models import Meeting, MeetingState
from app.meetings.models_followup import Agreement, AgreementReview, AgreementStatus, Party
from app.meetings.services import agreements, lists, queries
from tests.support.meetings import days_ahead, plan

#: The meetings list's row as meetings/index.html drew it for each meeting, before it was
#: drawn once.
_MEETING_LOOP = """{% from "meetings/_macros.html" import when, state_badge %}
  {%- for meeting in meetings %}
  <li class="record">
    <div>
      <h2 class="h-item"><a href="{{ url_for('meetings.show', child_id=child.id, meeting_id=meeting.id) }}">{{ meeting_kind_label(meeting.kind) }}</a></h2>
      <p><time datetime="{{ meeting.starts_at.isoformat() }}">{{ when(meeting) }}</time></p>
      <p class="muted small">{{ meeting.place }}</p>
    </div>
    {{ state_badge(meeting) }}
  </li>
  {% endfor %}"""  # noqa: E501

#: The agreements list's row as meetings/agreements.html drew it for each agreement.
_AGREEMENT_LOOP = """
  {%- for a in page %}
  <tr>
    <td><a href="{{ url_for('meetings.agreement', child_id=child.id, agreement_id=a.id) }}">{{ a.text|truncate(120) }}</a></td>
    <td data-label="{{ _('Party') }}">{{ agreement_party_label(a.party) }}</td>
    <td data-label="{{ _('Who sees to it') }}">{{ a.owner.name if a.owner else _("a former member") }}</td>
    <td data-label="{{ _('Due date') }}">{{ a.due_on|dateformat('medium') }}</td>
    <td data-label="{{ _('Status') }}"><span class="state state-{{ 'granted' if a.status.value == 'done' else 'unanswered' }}">{{ agreement_status_label(a.status) }}</span>{% if a.id in overdue %} <span class="state state-overdue">{{ _("Overdue") }}</span>{% endif %}</td>
  </tr>
  {% endfor %}"""  # noqa: E501


@pytest.fixture
def world(app, circle, planned):
    """Meetings the first parent is invited to and one they are not (``planned`` and
    ``team``), one cancelled, one late in the evening; agreements made in each, one owned by
    the first parent in the team's meeting, one reviewed in a meeting the parent sees, one
    with a long text, one owned by no one, some overdue."""
    team = plan(app, circle.child, circle.coach, [circle.teacher], day=days_ahead(3))
    late = plan(
        app,
        circle.child,
        circle.coach,
        [circle.parent],
        day=days_ahead(10),
        start=time(21, 30),
        end=time(23, 45),
        place='Thuis <b>"bij"</b> & {0}',
    )
    cancelled = plan(app, circle.child, circle.coach, [circle.parent], day=days_ahead(10))
    db.session.get(Meeting, cancelled.id).state = MeetingState.CANCELLED
    made = []
    for n, (meeting, owner, due) in enumerate(
        [
            (planned, circle.parent, -3),
            (planned, circle.teacher, -1),
            (team, circle.parent, 5),
            (team, circle.teacher, -2),  # reviewed in ``late`` below
            (team, circle.teacher, 4),
            (late, None, -4),
            (late, circle.coach, 2),
        ]
    ):
        agreement = Agreement(
            child_id=circle.child.id,
            meeting_id=meeting.id,
            text=f"Afspraak {n} <met> & 'tekens' {{id}} " + ("lang " * 40 if n == 4 else ""),
            party=[Party.HOME, Party.SCHOOL, Party.COACH][n % 3],
            owner_id=owner.id if owner else None,
            due_on=days_ahead(due),
            status=AgreementStatus.DONE if n == 1 else AgreementStatus.OPEN,
            created_by_id=circle.coach.id,
        )
        db.session.add(agreement)
        made.append(agreement)
    db.session.flush()
    db.session.add(
        AgreementReview(
            agreement_id=made[3].id,
            meeting_id=late.id,
            child_id=circle.child.id,
            status=AgreementStatus.PARTLY,
            reviewed_by_id=circle.coach.id,
        )
    )
    db.session.commit()
    return made


@pytest.mark.parametrize("who", ["coach", "parent", "parent2", "specialist"])
@pytest.mark.parametrize("per_page", [2, 20])
def test_the_lists_rows_are_what_the_entities_statements_page_through(
    app, circle, world, who, per_page
):
    with app.test_request_context():
        seat = seat_for(getattr(circle, who), circle.child)
        assert seat is not None
        for number in (1, 2, 3, 99):
            for rows_of, entities in (
                (lists.meetings_page, queries.visible_meetings(seat)),
                (lists.agreements_page, agreements.visible_agreements(seat)),
            ):
                rows = rows_of(db.session, seat, number, per_page)
                expected = paging.paginate(db.session, entities, number, per_page, scalars=True)
                assert (rows.number, rows.total) == (expected.number, expected.total)
                assert [r.id for r in rows.items] == [e.id for e in expected.items]


@pytest.mark.parametrize("who", ["coach", "parent"])
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_lists_say_what_the_rows_drawn_one_at_a_time_said(
    app, client, login_as, circle, world, who, lang
):
    user = getattr(circle, who)
    login_as(user)
    child = circle.child
    meetings_page = client.get(f"/children/{child.id}/meetings?lang={lang}").get_data(True)
    agreements_page = client.get(f"/children/{child.id}/agreements?lang={lang}").get_data(True)
    with app.test_request_context(f"/?lang={lang}"):
        seat = seat_for(user, child)
        assert seat is not None
        meetings = list(db.session.scalars(queries.visible_meetings(seat)))
        listed = list(db.session.scalars(agreements.visible_agreements(seat)))
        overdue = {a.id for a in listed if agreements.overdue_for(seat, a)}
        meeting_rows = render_template_string(_MEETING_LOOP, meetings=meetings, child=child)
        agreement_rows = render_template_string(
            _AGREEMENT_LOOP, page=listed, overdue=overdue, child=child
        )
    assert len(meetings) >= 3 and len(listed) >= 5
    assert meeting_rows in meetings_page
    assert agreement_rows in agreements_page
    assert "Thuis &lt;b&gt;&#34;bij&#34;&lt;/b&gt; &amp; {0}" in meetings_page
    assert "&lt;met&gt; &amp; &#39;tekens&#39; {id}" in agreements_page
    assert ("state-overdue" in agreements_page) is bool(overdue)


def test_a_page_past_the_end_is_the_last_and_an_empty_list_has_one(app, circle):
    with app.test_request_context():
        seat: Any = seat_for(circle.coach, circle.child)
        for rows_of in (lists.meetings_page, lists.agreements_page):
            empty = rows_of(db.session, seat, 5, 20)
            assert (empty.items, empty.number, empty.total, empty.pages) == ([], 1, 0, 1)
