"""A finalised meeting refuses every change: through every meeting route, every service,
the jobs, and the ORM itself (the shared Immutable guard and the meeting's flush guard)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from flask import url_for
from sqlalchemy import func, select

from app.circle.policy import seat_for
from app.core.db import db, utcnow
from app.core.errors import NotFoundError, RefusedError
from app.core.immutable import ImmutableRecordError
from app.meetings.models import AgendaItem, Meeting, MeetingContribution, MeetingInvitee
from app.meetings.models_followup import Agreement, AgreementReview
from app.meetings.services import (
    agenda,
    agreements,
    contributions,
    due,
    notices,
    planning,
    queries,
    summary,
)
from tests.support.summaries import add_agenda, during


def snapshot(meeting_id: int) -> dict:
    db.session.expire_all()
    meeting = db.session.get(Meeting, meeting_id)
    rows = {
        model.__name__: db.session.scalar(
            select(func.count()).select_from(model).where(model.meeting_id == meeting_id)
        )
        for model in (AgendaItem, MeetingContribution, MeetingInvitee, Agreement, AgreementReview)
    }
    notes = db.session.scalars(
        select(AgendaItem.prep_note).where(AgendaItem.meeting_id == meeting_id)
    ).all()
    texts = db.session.scalars(
        select(Agreement.text).where(Agreement.meeting_id == meeting_id)
    ).all()
    return {
        "meeting": (
            meeting.state,
            meeting.version,
            meeting.place,
            meeting.starts_at,
            meeting.guiding_question,
            meeting.ical_sequence,
        ),
        "rows": rows,
        "notes": sorted(notes),
        "agreements": sorted(texts),
    }


@pytest.fixture
def finalised(app, circle, planned, make_clip):
    add_agenda(planned, circle, make_clip)
    with time_machine.travel(during(planned), tick=True):
        with app.test_request_context(base_url=app.config["BASE_URL"]):
            seat = seat_for(circle.coach, circle.child)
            data = summary.FinaliseData("Gezien", "Nodig", frozenset({circle.coach.id}))
            summary.finalise(db.session, seat, planned, data, version=planned.version)
            db.session.commit()
        yield db.session.get(Meeting, planned.id)


#: Plausible values for every field a meeting form has.
FIELDS = {
    "kind": "intake",
    "day": "2030-01-01",
    "start": "10:00",
    "end": "11:00",
    "place": "Elders",
    "guiding_question": "Anders?",
    "text": "Nieuw",
    "party": "home",
    "due_on": "2030-02-01",
    "prep_note": "Nieuwe notitie",
    "direction": "up",
    "status": "done",
    "note": "x",
    "seen": "x",
    "need": "y",
}


def test_every_meeting_route_leaves_a_finalised_meeting_as_it_was(
    app, client, login_as, circle, finalised
):
    item = db.session.scalar(select(AgendaItem).where(AgendaItem.meeting_id == finalised.id))
    agreement = db.session.scalar(select(Agreement).where(Agreement.meeting_id == finalised.id))
    item_id, clip_id, meeting_id = item.id, item.clip_id, finalised.id
    agreement_id, agreement_version, version = agreement.id, agreement.version, finalised.version
    before = snapshot(meeting_id)
    login_as(circle.coach)
    values = {
        "child_id": circle.child.id,
        "meeting_id": meeting_id,
        "item_id": item_id,
        "agreement_id": agreement_id,
    }
    tried = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("meetings.") or "POST" not in (rule.methods or ()):
            continue
        if "meeting_id" not in rule.arguments:
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **{k: values[k] for k in rule.arguments})
        form = {
            **FIELDS,
            "version": str(version),
            "owner": str(circle.coach.id),
            "invitees": [str(circle.coach.id)],
            "attendees": [str(circle.coach.id)],
            "pick": f"clip-{clip_id}",
        }
        form.update(
            {
                f"review-{agreement_id}-{k}": v
                for k, v in {
                    "status": "done",
                    "note": "x",
                    "version": str(agreement_version),
                }.items()
            }
        )
        response = client.post(url, data=form)
        assert response.status_code < 500, (rule.endpoint, response.status_code)
        tried.append(rule.endpoint)
        assert snapshot(meeting_id) == before, rule.endpoint
    assert {
        "meetings.edit",
        "meetings.cancel",
        "meetings.add_item",
        "meetings.edit_item",
        "meetings.move_item",
        "meetings.remove_item",
        "meetings.contribute",
        "meetings.add_agreement",
        "meetings.remove_agreement",
        "meetings.review_agreement",
        "meetings.mode_add_agreement",
        "meetings.mode_review_agreement",
        "meetings.mode_remove_agreement",
        "meetings.finalise",
        "meetings.addendum",
    } <= set(tried)


def test_every_meeting_service_refuses_a_finalised_meeting(app, circle, finalised):
    item = db.session.scalar(select(AgendaItem).where(AgendaItem.meeting_id == finalised.id))
    agreement = db.session.scalar(select(Agreement).where(Agreement.meeting_id == finalised.id))
    before = snapshot(finalised.id)
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        seat = seat_for(circle.coach, circle.child)
        seen = queries.meeting_or_404(db.session, seat, finalised.id)
        data = planning.MeetingData(
            kind=finalised.kind,
            day=(utcnow() + timedelta(days=9)).date(),
            start=finalised.starts_at.time(),
            end=finalised.ends_at.time(),
            place="Elders",
            guiding_question="Anders?",
            invitee_ids=frozenset({circle.coach.id}),
        )
        calls = {
            "update_meeting": lambda: planning.update_meeting(
                db.session, seat, finalised, data, version=finalised.version
            ),
            "cancel_meeting": lambda: planning.cancel_meeting(
                db.session, seat, finalised, version=finalised.version
            ),
            "add_item": lambda: agenda.add_item(
                db.session, seat, finalised, agenda.ItemData(f"clip-{item.clip_id}", None, "")
            ),
            "move_item": lambda: agenda.move_item(db.session, seat, finalised, item, 1),
            "remove_item": lambda: agenda.remove_item(db.session, seat, finalised, item),
            "update_note": lambda: agenda.update_note(
                db.session, seat, finalised, item, "Anders", version=item.version
            ),
            "contribute": lambda: contributions.contribute(db.session, seat, seen, "Vraag"),
            "add_agreement": lambda: agreements.add_agreement(
                db.session,
                seat,
                finalised,
                agreements.AgreementData("Nieuw", "home", circle.coach.id, agreement.due_on),
            ),
            "remove_agreement": lambda: agreements.remove_agreement(
                db.session, seat, finalised, agreement
            ),
            "review": lambda: agreements.review(
                db.session,
                seat,
                finalised,
                agreement,
                status="done",
                note="",
                version=agreement.version,
            ),
            "finalise": lambda: summary.finalise(
                db.session,
                seat,
                finalised,
                summary.FinaliseData("a", "b", frozenset({circle.coach.id})),
                version=finalised.version,
            ),
        }
        for name, call in calls.items():
            with pytest.raises((RefusedError, NotFoundError)):
                call()
            db.session.rollback()
            assert snapshot(finalised.id) == before, name


def test_the_jobs_leave_a_finalised_meeting_as_it_was(app, circle, finalised):
    before = snapshot(finalised.id)
    for days in (-1, 0, 1, 30):
        # In the test app: outside an app context a job runs in the app built last.
        moment = during(finalised) + timedelta(days=days)
        with time_machine.travel(moment, tick=False), app.app_context():
            notices.hourly_meeting_reminders.call_local()
            due.hourly_agreement_reminders.call_local()
    assert snapshot(finalised.id) == before


def test_the_orm_itself_refuses_a_change(app, circle, finalised):
    item = db.session.scalar(select(AgendaItem).where(AgendaItem.meeting_id == finalised.id))
    agreement = db.session.scalar(select(Agreement).where(Agreement.meeting_id == finalised.id))
    changes = [
        lambda: setattr(finalised, "place", "Elders"),
        lambda: setattr(finalised, "state", finalised.state.__class__.PLANNED),
        lambda: setattr(item, "prep_note", "Anders"),
        lambda: db.session.delete(item),
        lambda: db.session.add(
            AgendaItem(
                meeting_id=finalised.id,
                child_id=finalised.child_id,
                position=9,
                clip_id=item.clip_id,
            )
        ),
        lambda: setattr(agreement, "text", "Anders"),
        lambda: db.session.delete(agreement),
        lambda: db.session.add(
            MeetingContribution(meeting_id=finalised.id, child_id=finalised.child_id, text="x")
        ),
    ]
    for change in changes:
        change()
        with pytest.raises(ImmutableRecordError):
            db.session.flush()
        db.session.rollback()
        finalised = db.session.get(Meeting, finalised.id)
        item = db.session.get(AgendaItem, item.id)
        agreement = db.session.get(Agreement, agreement.id)
