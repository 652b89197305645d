"""The timeline's sources are built once per role, their SQL written beside the clauses of the
features' own pages: for every role they see exactly what those clauses let the same person
see, and one person's values never stay in the select another person gets."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.children import timeline
from app.circle.audience import Audience
from app.circle.models import Child, User
from app.circle.policy import seat_for
from app.clips.models import Clip, Source
from app.clips.services import queries as clip_queries
from app.clips.services import timeline as clips
from app.consent.models import Purpose
from app.core.db import db
from app.core.timeline import Event
from app.meetings.models import Meeting
from app.meetings.models_followup import Agreement, AgreementReview, AgreementStatus, Party
from app.meetings.services import agreements, queries
from app.meetings.services import timeline as meetings
from tests.support.circle import pupil_of_sixteen
from tests.support.consent import sign_consent, withdraw
from tests.support.meetings import days_ahead, plan

WHO = ("coach", "teacher", "specialist", "parent", "parent2", "pupil")


def _seat(user: User, child: Child) -> Any:
    seat = seat_for(db.session.get(User, user.id), db.session.get(Child, child.id))
    assert seat is not None
    return seat


def _agreement(meeting: Meeting, owner: User, by: User, reviewed_in: Meeting | None = None) -> int:
    made = Agreement(
        child_id=meeting.child_id,
        meeting_id=meeting.id,
        text=f"Afspraak van {owner.name}",
        party=Party.SCHOOL,
        owner_id=owner.id,
        due_on=days_ahead(14),
        created_by_id=by.id,
    )
    db.session.add(made)
    db.session.flush()
    if reviewed_in is not None:
        db.session.add(
            AgreementReview(
                agreement_id=made.id,
                meeting_id=reviewed_in.id,
                child_id=meeting.child_id,
                status=AgreementStatus.PARTLY,
                reviewed_by_id=by.id,
            )
        )
    db.session.commit()
    return made.id


@pytest.fixture
def world(app, circle, make_clip, make_user) -> dict[str, Any]:
    """Every way to see (or not) a meeting, an agreement and a clip: meetings with the
    parents and without; agreements seen through their meeting, a review, their owner, or
    not at all; clips of every audience and source; a pupil of sixteen who decides now and
    withdrew the consent for recordings from home."""
    c = circle
    sign_consent(app, c.child, c.parent)
    sign_consent(app, c.child, c.parent2)
    withdraw(app, c.child, c.parent2, [Purpose.PEER_REVIEW])
    pupil = pupil_of_sixteen(c.child, make_user)  # from now on the pupil decides
    sign_consent(app, c.child, pupil)
    withdraw(app, db.session.get(Child, c.child.id), pupil, [Purpose.HOME_RECORDING])
    with_parents = plan(app, c.child, c.coach, [c.teacher, c.parent, c.parent2])
    team_only = plan(app, c.child, c.coach, [c.teacher])
    plan(app, c.child, c.coach, [pupil])
    through_review = _agreement(team_only, c.teacher, c.coach, reviewed_in=with_parents)
    _agreement(with_parents, c.teacher, c.coach, reviewed_in=team_only)
    _agreement(team_only, c.parent, c.coach)
    _agreement(team_only, c.teacher, c.coach)
    for audience in Audience:
        make_clip(c.child, c.coach, audience=audience, title=f"Van de coach: {audience}")
        make_clip(c.child, c.teacher, audience=audience, title=f"Van de leraar: {audience}")
        make_clip(
            c.child, c.parent, audience=audience, source=Source.HOME, title=f"Thuis: {audience}"
        )
    return {"circle": c, "pupil": pupil, "through_review": through_review}


def _events(app, seat) -> list[Event]:  # noqa: ANN001
    with app.test_request_context():
        rows = timeline.events_page(db.session, seat, 1, 1000).items
    assert len(rows) < 1000
    return [Event.of(row) for row in rows]


def _ids(stmt) -> set[int]:  # noqa: ANN001
    return set(db.session.scalars(stmt))


@pytest.mark.parametrize("who", WHO)
def test_each_source_sees_what_its_feature_s_pages_show(app, world, who):
    c = world["circle"]
    seat = _seat(world["pupil"] if who == "pupil" else getattr(c, who), c.child)
    events = _events(app, seat)

    def of(*kinds: str) -> set[int]:
        return {e.object_id for e in events if e.kind in kinds}

    with app.test_request_context():
        seen_meetings = _ids(select(Meeting.id).where(queries.meeting_clause(seat)))
        seen_agreements = select(Agreement.id).where(agreements.agreement_clause(seat))
        reviews = select(AgreementReview.id).where(
            AgreementReview.agreement_id.in_(seen_agreements)
        )
        seen_clips = _ids(select(Clip.id).where(clip_queries.clip_clause(seat)))
        assert of(meetings.PLANNED) == seen_meetings
        assert of(meetings.AGREED) == _ids(seen_agreements)
        assert of(meetings.REVIEWED) == _ids(reviews)
        assert of(clips.UPLOADED, clips.CUT) == seen_clips
    if who == "parent":  # seen through a review in their meeting alone, and their own
        assert world["through_review"] in of(meetings.AGREED)
        assert len(of(meetings.AGREED)) == 3


def test_one_person_s_select_is_another_s_with_their_own_values(app, world):
    """Built once per role and kept: two parents get the same select, and each sees their
    own consent records in it, never the other's."""
    c = world["circle"]
    first, second = (_seat(user, c.child) for user in (c.parent, c.parent2))
    assert timeline._statements(first.role) is timeline._statements(second.role)
    for seat, user in ((first, c.parent), (second, c.parent2)):
        signers = {e.actor_id for e in _events(app, seat) if e.kind.startswith("consent.")}
        assert signers == {user.id}


@pytest.mark.parametrize("near", [True, False])
@pytest.mark.parametrize("who", WHO)
def test_small_pages_in_turn_are_the_whole_list_with_its_total(app, world, who, near, monkeypatch):
    """Page after page of 4 is the list of one long page, in the same order, each page with
    the same total, and past the end is the last page: read near the top (each source's
    newest rows up to the page's end, the total the sum of each source's count) or further
    on (every event read once)."""
    monkeypatch.setattr(timeline, "_NEAR", 10_000 if near else 0)
    c = world["circle"]
    seat = _seat(world["pupil"] if who == "pupil" else getattr(c, who), c.child)
    whole = _events(app, seat)
    last = max(1, -(-len(whole) // 4))
    with app.test_request_context():
        pages = [timeline.events_page(db.session, seat, n, 4) for n in range(1, last + 1)]
        past_end = timeline.events_page(db.session, seat, last + 1, 4)
    assert len(whole) > 4  # more than one page
    assert {page.total for page in pages} == {len(whole)}
    assert [Event.of(row) for page in pages for row in page.items] == whole
    assert (past_end.number, past_end.items) == (last, pages[-1].items)
