"""The meeting pages ask the same number of SQL queries however much a meeting holds
(DESIGN.md §6): more agenda items (their moments under labels of the school's own), more
agreements made, more earlier agreements reviewed, more questions brought, more reviews in an
agreement's history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event, select

from app.circle.audience import Audience
from app.clips.models import Moment, MomentTag
from app.core.db import db
from app.meetings.models import AgendaItem, ItemNotes, Meeting, MeetingContribution, MeetingState
from app.meetings.models_followup import Agreement, AgreementReview, AgreementStatus, Party
from app.meetings.models_summary import MeetingSummary
from tests.support.meetings import days_ahead, plan


def queries(client: Any, url: str) -> int:
    """How many SQL statements one GET of ``url`` runs (after one that warms caches)."""
    assert client.get(url).status_code == 200
    counted: list[str] = []

    def count(conn, cursor, statement, *args):  # noqa: ANN001
        counted.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(counted)


@pytest.fixture
def later(app: Any, circle: Any, planned: Meeting) -> Meeting:
    """A meeting three weeks after ``planned``, reviewing the agreements made there."""
    return plan(
        app,
        circle.child,
        circle.coach,
        [circle.coach, circle.teacher, circle.parent],
        day=days_ahead(28),
    )


@pytest.fixture
def grow(circle: Any, planned: Meeting, later: Meeting, make_clip: Any) -> Callable[..., Agreement]:
    """``grow(n)`` adds ``n`` of everything to ``later`` (or ``into``): agenda items on
    fragments everyone sees, each citing a moment under a label of the school's own (a new
    label each) with the group's notes, agreements made there, agreements made in ``planned``
    and reviewed there, and questions brought by the teacher and the parent. Returns the first
    agreement made in ``planned``."""
    made: list[Agreement] = []
    owners = [circle.parent, circle.teacher, circle.coach]

    def add(n: int, into: Meeting = later) -> Agreement:
        for _ in range(n):
            k = len(made)
            clip = make_clip(
                circle.child, circle.coach, audience=Audience.CIRCLE, title=f"Kring {k}"
            )
            label = MomentTag(school_id=circle.child.school_id, label=f"Eigen label {k}")
            db.session.add(label)
            db.session.flush()
            moment = Moment(
                child_id=circle.child.id,
                clip_id=clip.id,
                author_id=circle.coach.id,
                start_s=1.5,
                tag=None,
                custom_tag_id=label.id,
                audience=Audience.CIRCLE,
            )
            db.session.add(moment)
            db.session.flush()
            item = AgendaItem(
                meeting_id=into.id,
                child_id=circle.child.id,
                position=k,
                clip_id=clip.id,
                moment_id=moment.id,
            )
            db.session.add(item)
            db.session.flush()
            db.session.add(
                ItemNotes(
                    item_id=item.id,
                    meeting_id=into.id,
                    child_id=circle.child.id,
                    seen=f"Gezien {k}",
                    need=f"Nodig {k}",
                    need_moment_id=moment.id,
                )
            )
            owner = owners[k % len(owners)]
            earlier, here = (
                Agreement(
                    child_id=circle.child.id,
                    meeting_id=meeting.id,
                    text=f"Afspraak {k} in {meeting.id}",
                    party=Party.SCHOOL,
                    owner_id=owner.id,
                    due_on=days_ahead(40),
                    created_by_id=circle.coach.id,
                )
                for meeting in (planned, into)
            )
            db.session.add_all([earlier, here])
            db.session.flush()
            earlier.status = AgreementStatus.PARTLY
            db.session.add(
                AgreementReview(
                    agreement_id=earlier.id,
                    meeting_id=into.id,
                    child_id=circle.child.id,
                    status=AgreementStatus.PARTLY,
                    note=f"Besproken {k}",
                    reviewed_by_id=owner.id,
                )
            )
            db.session.add(
                MeetingContribution(
                    meeting_id=into.id,
                    child_id=circle.child.id,
                    author_id=owners[k % 2].id,
                    text=f"Vraag {k}",
                )
            )
            made.append(earlier)
        db.session.commit()
        return made[0]

    return add


def test_a_meetings_page_asks_as_many_queries_however_full_it_is(
    client, login_as, circle, later, grow
):
    grow(1)
    url = f"/children/{circle.child.id}/meetings/{later.id}"
    counted = {}
    for person in (circle.coach, circle.parent):
        login_as(person)
        counted[person.id] = queries(client, url)
        client.post("/sign-out")
    grow(5)
    for person in (circle.coach, circle.parent):
        login_as(person)
        page = client.get(url).get_data(as_text=True)
        assert "Eigen label 5" in page and "Vraag 5" in page and "Besproken 5" in page
        assert queries(client, url) == counted[person.id], person.name
        client.post("/sign-out")


def test_meeting_mode_asks_as_many_queries_however_full_the_agenda(
    client, login_as, circle, later, grow
):
    """Each step of meeting mode (the first, an item's, the agreements') asks as many
    queries however many items the agenda holds: a step draws its own item only."""
    grow(1)
    url = f"/children/{circle.child.id}/meetings/{later.id}/mode"
    first = db.session.scalar(select(AgendaItem.id).where(AgendaItem.meeting_id == later.id))
    steps = [url, f"{url}/items/{first}", f"{url}/agreements"]
    login_as(circle.coach)
    few = [queries(client, step) for step in steps]
    grow(5)
    assert "Eigen label 5" in client.get(url).get_data(as_text=True)  # in the navigation
    assert [queries(client, step) for step in steps] == few


def test_an_agreements_history_and_the_list_ask_as_many_queries_however_long(
    app, client, login_as, circle, planned, later, grow
):
    agreement = grow(3)
    base = f"/children/{circle.child.id}/agreements"
    login_as(circle.parent)
    few = {url: queries(client, url) for url in (base, f"{base}/{agreement.id}")}
    for days in (35, 42, 49, 56):  # four more meetings review it again, each its reviewer
        meeting = plan(app, circle.child, circle.coach, [circle.parent], day=days_ahead(days))
        db.session.add(
            AgreementReview(
                agreement_id=agreement.id,
                meeting_id=meeting.id,
                child_id=circle.child.id,
                status=AgreementStatus.NOT_DONE,
                note=f"Nog niet, week {days // 7}",
                reviewed_by_id=[circle.coach, circle.teacher][days % 2].id,
            )
        )
    grow(6)
    db.session.commit()
    assert "week 8" in client.get(f"{base}/{agreement.id}").get_data(as_text=True)
    assert {url: queries(client, url) for url in few} == few


def _finalise_with_addendum(meeting: Meeting, coach: Any) -> None:
    """``meeting`` finalised, its summary in force an addendum to the first (no PDFs, which
    the summary's page does not need)."""
    meeting = db.session.get(Meeting, meeting.id)
    meeting.state = MeetingState.FINALISED
    db.session.flush()
    first = MeetingSummary(
        meeting_id=meeting.id,
        child_id=meeting.child_id,
        number=1,
        seen="Hij wacht zijn beurt af.",
        need="Een vast teken.",
        created_by_id=coach.id,
    )
    db.session.add(first)
    db.session.flush()
    db.session.add(
        MeetingSummary(
            meeting_id=meeting.id,
            child_id=meeting.child_id,
            number=2,
            seen=first.seen,
            need=first.need,
            addendum="Ook op maandag.",
            replaces_id=first.id,
            created_by_id=coach.id,
        )
    )
    db.session.commit()


def test_a_summarys_page_asks_as_many_queries_however_much_the_meeting_held(
    app, client, login_as, circle, later, grow
):
    fuller = plan(
        app, circle.child, circle.coach, [circle.coach, circle.parent], day=days_ahead(35)
    )
    grow(1)
    grow(5, into=fuller)
    for meeting in (later, fuller):
        _finalise_with_addendum(meeting, circle.coach)
    base = f"/children/{circle.child.id}/meetings"
    for person in (circle.coach, circle.parent):
        login_as(person)
        page = client.get(f"{base}/{fuller.id}/summary").get_data(as_text=True)
        assert "Nodig 5" in page and "Afspraak 5" in page
        few = queries(client, f"{base}/{later.id}/summary")
        assert queries(client, f"{base}/{fuller.id}/summary") == few, person.name
        client.post("/sign-out")
