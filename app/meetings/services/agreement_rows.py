"""A meeting's agreements as its pages read them: plain rows, one query each, the statements
built once. The same agreements as :func:`agreements.made_in` and
:func:`agreements.to_review`, in the same order, for pages that only read them (an entity
with its owner and meeting cost a page several times a row's work); the services that change
agreements keep the entities.

Every row holds the agreement (``id``, ``text``, ``version``, ``party``, ``status``,
``due_on``, ``owner_id``) and its owner's name (``owner``, None for a former member); a row
of an earlier agreement holds also the day its meeting began (``made_at``) and the review
made in this meeting (``review_id``, ``review_status``, ``review_note``; None without one).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Row, bindparam, select
from sqlalchemy.orm import aliased

from app.circle.models import Membership, Role, User
from app.circle.policy import Seat, active_membership_clause
from app.core.db import DbSession, rows, utcnow
from app.meetings.models import Meeting, MeetingState
from app.meetings.models_followup import STILL_OPEN, Agreement, AgreementReview

_AGREEMENT = (
    Agreement.id,
    Agreement.text,
    Agreement.version,
    Agreement.party,
    Agreement.status,
    Agreement.due_on,
    Agreement.owner_id,
    User.name.label("owner"),
)

#: The agreements made in meeting ``meeting``, in the order they were made.
_MADE = (
    select(*_AGREEMENT)
    .outerjoin(User, User.id == Agreement.owner_id)
    .where(Agreement.meeting_id == bindparam("meeting"))
    .order_by(Agreement.created_at, Agreement.id)
)


def _to_review(open_too: bool) -> Any:
    """The earlier agreements of child ``child`` that meeting ``meeting`` (beginning at
    ``starts_at``) reviewed, and with ``open_too`` those still open."""
    made_in = aliased(Meeting)
    earlier = (
        select(Meeting.id)
        .where(
            Meeting.child_id == bindparam("child"),
            Meeting.id != bindparam("meeting"),
            Meeting.starts_at < bindparam("starts_at"),
        )
        .scalar_subquery()
    )
    which: ColumnElement[bool] = AgreementReview.id.is_not(None)
    if open_too:
        which = which | Agreement.status.in_(STILL_OPEN)
    return (
        select(
            *_AGREEMENT,
            made_in.starts_at.label("made_at"),
            AgreementReview.id.label("review_id"),
            AgreementReview.status.label("review_status"),
            AgreementReview.note.label("review_note"),
        )
        .join(made_in, made_in.id == Agreement.meeting_id)
        .outerjoin(User, User.id == Agreement.owner_id)
        .outerjoin(
            AgreementReview,
            (AgreementReview.agreement_id == Agreement.id)
            & (AgreementReview.meeting_id == bindparam("meeting")),
        )
        .where(Agreement.child_id == bindparam("child"), Agreement.meeting_id.in_(earlier), which)
        .order_by(Agreement.due_on, Agreement.id)
    )


_TO_REVIEW = {True: _to_review(True), False: _to_review(False)}


def made_in(session: DbSession, meeting: Meeting) -> list[Row[Any]]:
    """:func:`agreements.made_in` as rows. One query."""
    return list(rows(session, _MADE, {"meeting": meeting.id}))


def to_review(session: DbSession, meeting: Meeting) -> list[Row[Any]]:
    """:func:`agreements.to_review` as rows: those of the child's earlier meetings still
    open, and those ``meeting`` reviewed already; for a finalised meeting only the latter.
    One query."""
    stmt = _TO_REVIEW[meeting.state is not MeetingState.FINALISED]
    params = {"meeting": meeting.id, "child": meeting.child_id, "starts_at": meeting.starts_at}
    return list(rows(session, stmt, params))


def reviewed_in(session: DbSession, meeting: Meeting) -> list[Row[Any]]:
    """The earlier agreements ``meeting`` reviewed, as rows (the summary's list). One
    query."""
    return [row for row in to_review(session, meeting) if row.review_id is not None]


#: The circle of child ``child`` at ``now``: who can own an agreement.
_OWNERS = (
    select(Membership.user_id, Membership.role, User.name)
    .join(User, User.id == Membership.user_id)
    .where(Membership.child_id == bindparam("child"), active_membership_clause(bindparam("now")))
)
_ROLE_ORDER = {Role.COACH: 0, Role.TEACHER: 1, Role.SPECIALIST: 2, Role.PARENT: 3, Role.PUPIL: 4}


def owner_choices(session: DbSession, seat: Seat) -> list[tuple[int, str]]:
    """:func:`agreements.owners_for` as (user id, name) pairs, in its order (coaches first,
    then by name). One query."""
    return owners_in(list(rows(session, _OWNERS, {"child": seat.child.id, "now": utcnow()})))


def owners_in(circle: list[Any]) -> list[tuple[int, str]]:
    """:func:`owner_choices` from rows of the circle's members (``user_id``, ``role``,
    ``name``: those of ``queries.circle_at`` too), in its order."""
    found = sorted(circle, key=lambda r: (_ROLE_ORDER[r.role], r.name.lower()))
    return [(r.user_id, r.name) for r in found]
