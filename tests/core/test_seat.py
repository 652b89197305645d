"""A person's seat in a child's circle (``app.circle.policy.Seat``): who, which child, which
role, worked out once per request by ``routes.for_child``, handed to loaders and services."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from app.circle import policy
from app.circle.audience import Audience, may_see
from app.circle.models import Membership, Role
from app.circle.policy import POLICY, Action, Seat
from app.core.db import db, utcnow
from app.core.errors import ForbiddenError, NotFoundError
from tests.support.consent import sign_consent

#: The seat's one statement: the child with the person's role in its circle.
ROLE_QUERY = re.compile(
    r"^\s*SELECT children\.id\b.*\bmemberships\.role\s+FROM children JOIN memberships\b", re.S
)


def test_a_member_gets_a_seat_with_their_role(app_ctx, circle):
    seat = policy.seat_for(circle.teacher, circle.child)
    assert seat == Seat(circle.teacher, circle.child, Role.TEACHER)
    assert seat.is_school_side and not seat.is_coach
    coach = policy.seat_for(circle.coach, circle.child)
    assert coach is not None and coach.is_coach and coach.is_school_side
    parent = policy.seat_for(circle.parent, circle.child)
    assert parent is not None and not parent.is_school_side and not parent.is_coach


def test_a_removed_member_and_an_outsider_get_no_seat(app_ctx, circle, make_user):
    membership = db.session.scalar(
        select(Membership).where(
            Membership.child_id == circle.child.id, Membership.user_id == circle.teacher.id
        )
    )
    membership.active_until = utcnow() - timedelta(minutes=1)
    db.session.commit()
    outsider = make_user("Andere Coach", staff=True)
    for person in (circle.teacher, outsider):
        assert policy.seat_for(person, circle.child) is None
        with pytest.raises(NotFoundError):
            policy.seat_or_404(circle.child.id, person, Action.VIEW_CHILD)


@pytest.mark.parametrize("role", list(Role))
def test_a_seat_may_what_the_policy_table_says(app_ctx, circle, role):
    seat = Seat(circle.parent, circle.child, role)
    assert {action for action in Action if seat.may(action)} == {
        action for action, roles in POLICY.items() if role in roles
    }
    assert seat.permissions == frozenset(a for a in Action if policy.role_allows(role, a))


def test_the_loader_gives_the_seat_or_403_for_an_action_the_role_may_not(app_ctx, circle):
    seat = policy.seat_or_404(circle.child.id, circle.parent, Action.VIEW_CLIPS)
    assert (seat.user, seat.child.id, seat.role) == (circle.parent, circle.child.id, Role.PARENT)
    with pytest.raises(ForbiddenError):
        policy.seat_or_404(circle.child.id, circle.parent, Action.EDIT_CLIP)
    with pytest.raises(NotFoundError):  # no such child: the same answer as outside the circle
        policy.seat_or_404(circle.child.id + 1000, circle.coach, Action.VIEW_CHILD)


def test_a_seat_for_another_person_answers_for_that_person(app, circle):
    """The coach's request asks about the parent: the parent's answers, not the coach's."""
    with app.test_request_context():
        coach = policy.seat_or_404(circle.child.id, circle.coach, Action.EDIT_CLIP)
        parent = policy.seat_for(circle.parent, circle.child)
        assert parent is not None and parent.user is circle.parent
        ask = dict(audience=Audience.TEAM, uploader_id=circle.teacher.id)
        assert may_see(coach, **ask) and not may_see(parent, **ask)
        assert coach.may(Action.EDIT_CLIP) and not parent.may(Action.EDIT_CLIP)
        assert parent.owns(circle.parent.id) and not parent.owns(circle.coach.id)


@pytest.mark.parametrize("path", ["", "/clips", "/clips/{clip}", "/consent"])
def test_a_page_asks_the_role_once(app, login_as, circle, make_clip, path):
    """``routes.for_child`` works the seat out once; loaders and services ask the seat."""
    sign_consent(app, circle.child, circle.parent)
    clip = make_clip(circle.child, circle.coach, audience=Audience.CIRCLE)
    make_clip(
        circle.child, circle.coach, audience=Audience.TEAM, parent=clip, start_s=1.0, end_s=3.0
    )
    client = login_as(circle.coach, on=app.test_client())
    seen: list[str] = []

    def count(conn, cursor, statement, *args):  # noqa: ANN001
        if ROLE_QUERY.match(statement):
            seen.append(statement)

    url = f"/children/{circle.child.id}{path.format(clip=clip.id)}"
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(seen) == 1


def test_own_or_may_lets_the_owner_and_the_role_and_refuses_the_rest(app_ctx, circle):
    parent = policy.seat_for(circle.parent, circle.child)
    coach = policy.seat_for(circle.coach, circle.child)
    assert parent is not None and coach is not None
    record = Action.VIEW_ALL_CONSENT_RECORDS
    policy.own_or_may(parent, circle.parent.id, record)  # their own
    policy.own_or_may(coach, circle.parent.id, record)  # the coach sees everyone's
    with pytest.raises(ForbiddenError):
        policy.own_or_may(parent, circle.parent2.id, record)
    with pytest.raises(ForbiddenError):
        policy.own_or_may(parent, None, record)
