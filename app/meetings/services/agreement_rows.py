"""A meeting's agreements as its pages read them: plain rows, one query each, the statements
built once. The same agreements as :func:`agreements.made_in` and
:func:`agreements.to_review`, in the same order, for pages that only read them (an entity
with its owner and meeting cost a page several times a row's work); the services that change
agreements keep the entities. A page that shows both lists asks them in one query
(:func:`made_and_to_review`).

Every row holds the agreement (``id``, ``text``, ``version``, ``party``, ``status``,
``due_on``, ``owner_id``) and its owner's name (``owner``, None for a former member); a row
of an earlier agreement holds also the day its meeting began (``made_at``) and the review
made in this meeting (``review_id``, ``review_status``, ``review_note``; None without one).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, bindparam, literal_column, null, or_, select, type_coerce, union_all
from sqlalchemy.orm import aliased
from sqlalchemy.types import NullType

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


#: The meeting an earlier agreement was made in.
_made_in = aliased(Meeting)

#: An earlier agreement's columns: the agreement's, the day its meeting began, and the review
#: that meeting ``meeting`` made of it (None without one).
_EARLIER = (
    *_AGREEMENT,
    _made_in.starts_at.label("made_at"),
    AgreementReview.id.label("review_id"),
    AgreementReview.status.label("review_status"),
    AgreementReview.note.label("review_note"),
)

#: The earlier agreements meeting ``meeting`` reviewed, found through its reviews: those of
#: child ``child`` made in another of the child's meetings that began before ``starts_at``.
_REVIEWED = (
    select(*_EARLIER)
    .select_from(AgreementReview)
    .join(Agreement, Agreement.id == AgreementReview.agreement_id)
    .join(_made_in, _made_in.id == Agreement.meeting_id)
    .outerjoin(User, User.id == Agreement.owner_id)
    .where(
        AgreementReview.meeting_id == bindparam("meeting"),
        Agreement.child_id == bindparam("child"),
        _made_in.child_id == bindparam("child"),
        _made_in.id != bindparam("meeting"),
        _made_in.starts_at < bindparam("starts_at"),
    )
)

#: The earlier agreements still open that meeting ``meeting`` did not review, found through
#: the child's open agreements (``ix_agreements_child_status``): the child's earlier meetings
#: asked as a list, so that SQLite does not go through every agreement of each of them.
_OPEN = (
    select(*_EARLIER)
    .join(_made_in, _made_in.id == Agreement.meeting_id)
    .outerjoin(User, User.id == Agreement.owner_id)
    .outerjoin(
        AgreementReview,
        (AgreementReview.agreement_id == Agreement.id)
        & (AgreementReview.meeting_id == bindparam("meeting")),
    )
    .where(
        Agreement.child_id == bindparam("child"),
        # One bound value each, not a list to expand when the statement runs.
        or_(*[Agreement.status == status for status in sorted(STILL_OPEN)]),
        Agreement.meeting_id.in_(
            select(Meeting.id).where(
                Meeting.child_id == bindparam("child"),
                Meeting.id != bindparam("meeting"),
                Meeting.starts_at < bindparam("starts_at"),
            )
        ),
        AgreementReview.id.is_(None),
    )
)


def _to_review(open_too: bool) -> Any:
    """The earlier agreements of child ``child`` that meeting ``meeting`` (beginning at
    ``starts_at``) reviewed, and with ``open_too`` those still open, by due date. Each part
    is found through an index of its own (a review's meeting, a child's open agreements),
    where one clause for both went through every agreement of the child."""
    if not open_too:
        return _REVIEWED.order_by(Agreement.due_on, Agreement.id)
    both = union_all(_REVIEWED, _OPEN).subquery()
    return select(*both.c).order_by(both.c.due_on, both.c.id)


_TO_REVIEW = {True: _to_review(True), False: _to_review(False)}


def _made_and_to_review(open_too: bool) -> Any:
    """:data:`_MADE` and :func:`_to_review` in one statement, with :data:`_EARLIER`'s columns
    (``made_at`` None for the rows made in the meeting), sorted by part (0: made in the
    meeting, 1: to review), then by each part's order (``made_order``: when made, for the
    made ones; ``review_order``: the due date, for the others), then by id. The sorting
    columns are not fetched: SQLite's module lets go of Python's lock for every value of
    every row it hands over, and a page's threads then queue for it again."""
    nothing = [type_coerce(null(), c.type).label(c.name) for c in _EARLIER[len(_AGREEMENT) :]]
    made = (
        select(
            *_AGREEMENT,
            *nothing,
            literal_column("0").label("part"),
            type_coerce(Agreement.created_at, NullType()).label("made_order"),
            null().label("review_order"),
        )
        .outerjoin(User, User.id == Agreement.owner_id)
        .where(Agreement.meeting_id == bindparam("meeting"))
    )
    earlier = [
        part.add_columns(
            literal_column("1").label("part"),
            null().label("made_order"),
            type_coerce(Agreement.due_on, NullType()).label("review_order"),
        )
        for part in ((_REVIEWED, _OPEN) if open_too else (_REVIEWED,))
    ]
    every = union_all(made, *earlier).subquery()
    shown = [every.c[c.name] for c in _EARLIER]
    return select(*shown).order_by(
        every.c.part, every.c.made_order, every.c.review_order, every.c.id
    )


_MADE_AND_TO_REVIEW = {True: _made_and_to_review(True), False: _made_and_to_review(False)}


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


def made_and_to_review(
    session: DbSession, meeting: Meeting
) -> tuple[list[Row[Any]], list[Row[Any]]]:
    """:func:`made_in` and :func:`to_review` (their rows, in their orders) in one query, for
    a page that shows both."""
    stmt = _MADE_AND_TO_REVIEW[meeting.state is not MeetingState.FINALISED]
    params = {"meeting": meeting.id, "child": meeting.child_id, "starts_at": meeting.starts_at}
    found = rows(session, stmt, params)
    # An earlier agreement has the day its meeting began; one made in this meeting has none.
    return [r for r in found if r.made_at is None], [r for r in found if r.made_at is not None]


def reviewed_in(session: DbSession, meeting: Meeting) -> list[Row[Any]]:
    """The earlier agreements ``meeting`` reviewed, as rows (the summary's list): those of
    :func:`to_review` with a review. One query."""
    params = {"meeting": meeting.id, "child": meeting.child_id, "starts_at": meeting.starts_at}
    return list(rows(session, _TO_REVIEW[False], params))


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
