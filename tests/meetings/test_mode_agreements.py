"""Agreements in meeting mode: made inline and listed there and on the meeting's page, taken
back, bad input refused beside its field with the typed text kept, earlier ones reviewed there
(a stale review refused with the note kept), only the coach writing, and a finalised or
cancelled meeting showing the list without forms and refusing every post."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select, update

from app.circle.policy import seat_for
from app.core.db import db
from app.meetings.models import Meeting, MeetingState
from app.meetings.models_followup import Agreement, AgreementReview, AgreementStatus, Party
from app.meetings.services import summary
from tests.support.meetings import days_ahead, plan
from tests.support.summaries import add_agenda, during

TYPED = "Elke ochtend samen de dag doorlopen"


def mode_url(meeting, tail: str = "") -> str:
    return f"/children/{meeting.child_id}/meetings/{meeting.id}/mode{tail}"


def step_url(meeting) -> str:
    """The agreements' step, where agreements are made and reviewed."""
    return mode_url(meeting, "/agreements") + "?lang=en"


def add_url(meeting) -> str:
    return mode_url(meeting, "/agreements") + "?lang=en"


def review_url(meeting, agreement) -> str:
    return mode_url(meeting, f"/agreements/{agreement.id}/review") + "?lang=en"


def agreement_form(who, day, **values) -> dict[str, str]:
    data = {"text": TYPED, "party": "school", "owner": str(who.id), "due_on": day.isoformat()}
    data.update(values)
    return data


def review_form(agreement, status, note="", version=None) -> dict[str, str]:
    p = f"review-{agreement.id}-"
    version = agreement.version if version is None else version
    return {p + "status": status, p + "note": note, p + "version": str(version)}


def back_to(response) -> str:
    """Where a redirect goes, without the language the request carried along."""
    return response.headers["Location"].replace("?lang=en", "")


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def error_of(html: str, field_id: str) -> str:
    """The message shown beside the field with id ``field_id`` (empty when none)."""
    found = re.search(rf'id="{field_id}-error">([^<]*)<', html)
    return found.group(1) if found else ""


@pytest.fixture
def earlier(app, circle, planned):
    """An agreement still open from a meeting held before ``planned``: on its review list."""
    before = plan(app, circle.child, circle.coach, [circle.coach, circle.parent], day=days_ahead(2))
    agreement = Agreement(
        meeting_id=before.id,
        child_id=circle.child.id,
        text="Voorlezen voor het slapen",
        party=Party.HOME,
        owner_id=circle.parent.id,
        due_on=days_ahead(5),
        created_by_id=circle.coach.id,
    )
    db.session.add(agreement)
    db.session.commit()
    return agreement


def test_the_coach_adds_an_agreement_inline_and_it_shows_in_mode_and_on_the_meeting_page(
    client, login_as, circle, planned
):
    login_as(circle.coach)
    # An empty agenda: meeting mode opens at the agreements' step.
    page = client.get(step_url(planned)).get_data(as_text=True)
    assert 'aria-current="step" data-step-agreements' in page
    assert "No agreements made in this meeting yet." in page
    # The form posts to meeting mode; its text field is where the key a goes.
    assert f'action="{mode_url(planned, "/agreements")}"' in page
    assert re.search(r'<textarea[^>]*aria-keyshortcuts="a"[^>]*id="agreement-text"', page)
    # Owners are the child's circle.
    owners = re.search(r'<select[^>]*id="owner".*?</select>', page, flags=re.S).group(0)
    assert circle.teacher.name in owners and circle.parent.name in owners

    response = client.post(add_url(planned), data=agreement_form(circle.teacher, days_ahead(21)))
    assert response.status_code == 302
    assert back_to(response) == mode_url(planned, "/agreements") + "#agreements"
    made = db.session.scalar(select(Agreement))
    assert (made.text, made.owner_id, made.party) == (TYPED, circle.teacher.id, Party.SCHOOL)

    page = client.get(step_url(planned)).get_data(as_text=True)
    assert "The agreement is recorded." in page
    listed = re.search(r'<section class="card" id="agreements".*?</ul>', page, flags=re.S)
    assert TYPED in listed.group(0) and circle.teacher.name in listed.group(0)
    show = f"/children/{circle.child.id}/meetings/{planned.id}?lang=en"
    assert TYPED in client.get(show).get_data(as_text=True)

    # Taken back from meeting mode (a slip of the keyboard): gone, and back in meeting mode.
    taken = client.post(mode_url(planned, f"/agreements/{made.id}/remove") + "?lang=en")
    assert taken.status_code == 302
    assert back_to(taken) == mode_url(planned, "/agreements") + "#agreements"
    assert count(Agreement) == 0
    page = client.get(step_url(planned)).get_data(as_text=True)
    assert "The agreement is taken back." in page and TYPED not in page


@pytest.mark.parametrize(
    ("case", "field", "message"),
    [
        ("empty text", "agreement-text", "Please fill in this field."),
        ("owner outside the circle", "owner", "Choose someone in the circle of"),
        ("due before the meeting", "due_on", "The due date cannot be before the meeting."),
        ("nonsense date", "due_on", "Enter a date like 2027-03-01."),
    ],
)
def test_a_bad_agreement_shows_mode_again_with_why_and_stores_nothing(
    client, login_as, circle, planned, make_user, case, field, message
):
    login_as(circle.coach)
    values = {
        "empty text": {"text": "  "},
        "owner outside the circle": {"owner": str(make_user("Buiten de Kring").id)},
        "due before the meeting": {"due_on": days_ahead(1).isoformat()},
        "nonsense date": {"due_on": "volgende week"},
    }[case]
    response = client.post(
        add_url(planned), data=agreement_form(circle.teacher, days_ahead(21), **values)
    )
    assert response.status_code == 400, case
    html = response.get_data(as_text=True)
    assert "data-meeting-mode" in html, case  # meeting mode again, not the meeting's page
    assert message in error_of(html, field), case
    if case != "empty text":
        assert f"{TYPED}</textarea>" in html, case  # what was typed is still there
    assert count(Agreement) == 0


def test_the_coach_reviews_an_earlier_agreement_in_mode(client, login_as, circle, planned, earlier):
    login_as(circle.coach)
    page = client.get(step_url(planned)).get_data(as_text=True)
    assert "Earlier agreements to review" in page and "Voorlezen voor het slapen" in page
    assert f'action="{mode_url(planned, f"/agreements/{earlier.id}/review")}"' in page

    data = review_form(earlier, "partly", "Drie avonden van de vijf")
    response = client.post(review_url(planned, earlier), data=data)
    assert response.status_code == 302
    assert back_to(response) == mode_url(planned, "/agreements") + f"#agreement-{earlier.id}"
    db.session.expire_all()
    assert db.session.get(Agreement, earlier.id).status is AgreementStatus.PARTLY
    page = client.get(step_url(planned)).get_data(as_text=True)
    assert "The review is saved." in page
    assert "Reviewed here:" in page and "Drie avonden van de vijf" in page

    # A status that is no review: refused in mode, beside the field.
    bad = client.post(review_url(planned, earlier), data=review_form(earlier, "open"))
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert "data-meeting-mode" in html
    assert "Choose done, partly done, not done or dropped." in html
    assert count(AgreementReview) == 1


def test_a_stale_review_in_mode_is_refused_with_the_note_kept(
    app, client, login_as, circle, planned, earlier
):
    opened_at = earlier.version
    # Someone else (the coach on the meeting's page, another tab) reviews it first.
    other = login_as(circle.coach, on=app.test_client())
    page_url = f"/children/{circle.child.id}/meetings/{planned.id}/agreements/{earlier.id}/review"
    assert other.post(page_url, data=review_form(earlier, "done", "Elke avond")).status_code == 302
    login_as(circle.coach)
    response = client.post(
        review_url(planned, earlier),
        data=review_form(earlier, "dropped", "Mijn eigen notitie", version=opened_at),
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "data-meeting-mode" in html
    assert "Someone else saved a change" in html
    assert "Mijn eigen notitie</textarea>" in html
    # The form now carries the newer version: saving again goes over it knowingly.
    version = re.search(rf'name="review-{earlier.id}-version"[^>]*>', html).group(0)
    db.session.expire_all()
    fresh = db.session.get(Agreement, earlier.id)
    assert f'value="{fresh.version}"' in version and fresh.version != opened_at
    assert fresh.status is AgreementStatus.DONE
    assert db.session.scalar(select(AgreementReview.note)) == "Elke avond"


def test_only_the_coach_makes_or_reviews_agreements_in_mode(
    app, client, login_as, circle, planned, earlier, make_user, make_child
):
    login_as(circle.coach)
    client.post(add_url(planned), data=agreement_form(circle.teacher, days_ahead(21)))
    first = db.session.scalar(select(Agreement).where(Agreement.meeting_id == planned.id))
    # The teacher reads the list in meeting mode, without a form.
    teacher = login_as(circle.teacher, on=app.test_client())
    page = teacher.get(step_url(planned)).get_data(as_text=True)
    assert TYPED in page and "Voorlezen voor het slapen" in page
    assert 'class="agreement-form"' not in page and 'class="review-form"' not in page
    assert "To the agreements" in page
    made = count(Agreement)
    outsider = make_user("Meester Elders", staff=True)
    make_child("Ander Kind", coach=outsider)
    for person, status in ((circle.teacher, 403), (circle.parent, 403), (outsider, 404)):
        visitor = login_as(person, on=app.test_client())
        added = visitor.post(add_url(planned), data=agreement_form(circle.teacher, days_ahead(21)))
        reviewed = visitor.post(review_url(planned, earlier), data=review_form(earlier, "done"))
        taken = visitor.post(mode_url(planned, f"/agreements/{first.id}/remove"))
        got = (added.status_code, reviewed.status_code, taken.status_code)
        assert got == (status, status, status), person.name
    assert count(Agreement) == made and count(AgreementReview) == 0


@pytest.fixture
def finalised(app, circle, planned, earlier, make_clip):
    """``planned`` held (with an agenda and an agreement of its own) and finalised; the
    clock stays in the meeting."""
    add_agenda(planned, circle, make_clip)
    # Loaded again: planning the earlier meeting ended the session ``planned`` came from.
    meeting = db.session.get(Meeting, planned.id)
    with time_machine.travel(during(meeting), tick=True):
        with app.test_request_context(base_url=app.config["BASE_URL"]):
            seat = seat_for(circle.coach, circle.child)
            data = summary.FinaliseData("Gezien", "Nodig", frozenset({circle.coach.id}))
            summary.finalise(db.session, seat, meeting, data, version=meeting.version)
            db.session.commit()
        meeting = db.session.get(Meeting, planned.id)
        assert meeting.state is MeetingState.FINALISED
        yield meeting


def test_a_finalised_meeting_shows_agreements_without_forms_and_refuses_posts(
    client, login_as, circle, finalised, earlier
):
    login_as(circle.coach)
    page = client.get(step_url(finalised)).get_data(as_text=True)
    assert "no longer open" in page
    assert "Elke ochtend samen de dag doorlopen" in page  # the agreement made in it, listed
    assert 'class="agreement-form"' not in page and 'class="review-form"' not in page
    assert "/remove" not in page  # no take-back button either
    made, reviews = count(Agreement), count(AgreementReview)
    day = finalised.starts_at.date() + timedelta(days=14)
    added = client.post(add_url(finalised), data=agreement_form(circle.teacher, day))
    assert added.status_code == 400
    assert "This meeting is finalised" in added.get_data(as_text=True)
    reviewed = client.post(review_url(finalised, earlier), data=review_form(earlier, "done"))
    assert reviewed.status_code == 400
    assert "This meeting is finalised" in reviewed.get_data(as_text=True)
    own = db.session.scalar(select(Agreement).where(Agreement.meeting_id == finalised.id))
    taken = client.post(mode_url(finalised, f"/agreements/{own.id}/remove") + "?lang=en")
    assert taken.status_code == 302
    assert "This meeting is finalised" in client.get(back_to(taken)).get_data(as_text=True)
    assert (count(Agreement), count(AgreementReview)) == (made, reviews)
    db.session.expire_all()
    assert db.session.get(Agreement, earlier.id).status is AgreementStatus.OPEN


def test_a_cancelled_meeting_takes_no_agreement_in_mode(client, login_as, circle, planned):
    login_as(circle.coach)
    db.session.execute(
        update(Meeting).where(Meeting.id == planned.id).values(state=MeetingState.CANCELLED)
    )
    db.session.commit()
    page = client.get(step_url(planned)).get_data(as_text=True)
    assert 'class="agreement-form"' not in page
    added = client.post(add_url(planned), data=agreement_form(circle.teacher, days_ahead(21)))
    assert added.status_code == 400
    assert "This meeting is cancelled" in added.get_data(as_text=True)
    assert count(Agreement) == 0
