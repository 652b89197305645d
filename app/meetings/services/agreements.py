"""Agreements: who does what by when, made in a meeting, reviewed in the next ones.

An agreement is made in a meeting that is not finalised nor cancelled, with an owner from the
child's circle and a due date on or after the meeting's day. Agreements still open from
earlier meetings of the child come up in the next meeting to be reviewed (done, partly done,
not done, dropped) with a note; each review is kept, so an agreement's page shows its history
across meetings. Who sees an agreement: whoever sees the meeting it was made in or one that
reviewed it, and its owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, exists, or_, select
from sqlalchemy.orm import joinedload

from app.circle import policy
from app.circle.models import Membership, Role, User
from app.circle.policy import Action, Seat
from app.core import audit
from app.core.clock import display_zone, local_date
from app.core.concurrency import expect_version, flush_versioned
from app.core.db import DbSession, rows
from app.core.errors import ForbiddenError, NotFoundError, RefusedError
from app.core.i18n import lazy_gettext as _l
from app.meetings.models import Meeting, MeetingState
from app.meetings.models_followup import (
    REVIEW_STATUSES,
    STILL_OPEN,
    Agreement,
    AgreementReview,
    AgreementStatus,
    Party,
    is_overdue,
)
from app.meetings.services import queries
from app.people import services as people

#: The longest agreement text.
TEXT_MAX = 2000
NOTE_MAX = 2000
#: Open agreements on the child's page.
OPEN_ON_CHILD_PAGE = 5

LOCKED = _l("This meeting is finalised: it cannot be changed. A correction is an addendum.")
NOT_ON_REVIEW_LIST = _l(
    "This meeting reviews the agreements still open from earlier meetings; this is not one."
)
CANCELLED = _l("This meeting is cancelled: it takes no agreements.")


@dataclass(frozen=True)
class AgreementData:
    """An agreement as the form gives it."""

    text: str
    party: str
    owner_id: int | None
    due_on: date | None


@dataclass(frozen=True)
class ToReview:
    """An earlier agreement on a meeting's review list, with its review there (if any)."""

    agreement: Agreement
    review: AgreementReview | None


def meeting_day(meeting: Meeting) -> date:
    """The meeting's date on the school's calendar."""
    return meeting.starts_at.astimezone(display_zone()).date()


def require_open(seat: Seat, meeting: Meeting) -> None:
    """Raises ForbiddenError unless ``seat`` leads meetings (the coach), NotFoundError for
    another child's meeting, RefusedError for a finalised or cancelled meeting."""
    if not seat.may(Action.PLAN_MEETING):
        policy.log_denied("may_not_lead_meeting", seat.child.id)
        raise ForbiddenError("may_not_lead_meeting")
    if meeting.child_id != seat.child.id:
        raise NotFoundError("meeting_of_another_child")
    if meeting.state is MeetingState.FINALISED:
        raise RefusedError(LOCKED)
    if meeting.state is MeetingState.CANCELLED:
        raise RefusedError(CANCELLED)


def owners_for(session: DbSession, seat: Seat) -> list[Membership]:
    """Who can own an agreement: the child's circle now, coaches first."""
    return people.circle(session, seat.child)


def add_agreement(
    session: DbSession, seat: Seat, meeting: Meeting, data: AgreementData
) -> Agreement:
    """Record an agreement made in ``meeting``.

    Raises ForbiddenError when the seat may not lead meetings, RefusedError (naming the
    field) for a finalised or cancelled meeting, an empty or too long text, an unknown party,
    an owner outside the child's circle, a missing due date or one before the meeting's day;
    nothing is stored then.
    """
    require_open(seat, meeting)
    text = (data.text or "").strip()
    if not text:
        raise RefusedError(_l("Write what is agreed."), field="text")
    if len(text) > TEXT_MAX:
        raise RefusedError(_l("Use at most %(max)d characters.", max=TEXT_MAX), field="text")
    try:
        party = Party(data.party)
    except ValueError:
        raise RefusedError(_l("Choose school, home or coach."), field="party") from None
    in_circle = {m.user_id for m in owners_for(session, seat)}
    if data.owner_id is None or data.owner_id not in in_circle:
        raise RefusedError(
            _l("Choose someone in the circle of %(name)s.", name=seat.child.name), field="owner"
        )
    if data.due_on is None:
        raise RefusedError(_l("Please fill in this field."), field="due_on")
    if data.due_on < meeting_day(meeting):
        raise RefusedError(
            _l("The due date cannot be before the meeting."),
            field="due_on",
        )
    agreement = Agreement(
        child_id=seat.child.id,
        meeting_id=meeting.id,
        text=text,
        party=party,
        owner_id=data.owner_id,
        due_on=data.due_on,
        status=AgreementStatus.OPEN,
        created_by_id=seat.user.id,
    )
    session.add(agreement)
    session.flush()
    audit.record(
        session,
        "agreement_made",
        actor=seat.user,
        child=seat.child,
        obj=agreement,
        data={"meeting": meeting.id, "party": party.value, "owner": data.owner_id},
    )
    return agreement


def remove_agreement(
    session: DbSession, seat: Seat, meeting: Meeting, agreement: Agreement
) -> None:
    """Take back an agreement made in ``meeting`` while the meeting is open. Raises as
    :func:`require_open` does, and NotFoundError for an agreement made elsewhere."""
    require_open(seat, meeting)
    if agreement.meeting_id != meeting.id:
        raise NotFoundError("agreement_not_made_in_meeting")
    audit.record(
        session,
        "agreement_removed",
        actor=seat.user,
        child=seat.child,
        obj=agreement,
        data={"meeting": meeting.id},
    )
    session.delete(agreement)
    session.flush()


def made_in(session: DbSession, meeting: Meeting) -> list[Agreement]:
    """The agreements made in ``meeting``, in the order they were made. One query."""
    return list(
        session.scalars(
            select(Agreement)
            .where(Agreement.meeting_id == meeting.id)
            .options(joinedload(Agreement.owner))
            .order_by(Agreement.created_at, Agreement.id)
        )
    )


def to_review(session: DbSession, meeting: Meeting) -> list[ToReview]:
    """The earlier agreements ``meeting`` reviews: those of the child's earlier meetings
    still open, and those it reviewed already; for a finalised meeting only the latter (what
    it reviewed is what it holds). Two queries."""
    reviewed_here = exists().where(
        AgreementReview.agreement_id == Agreement.id, AgreementReview.meeting_id == meeting.id
    )
    earlier = (
        select(Meeting.id)
        .where(
            Meeting.child_id == meeting.child_id,
            Meeting.id != meeting.id,
            Meeting.starts_at < meeting.starts_at,
        )
        .scalar_subquery()
    )
    which: ColumnElement[bool] = reviewed_here
    if meeting.state is not MeetingState.FINALISED:
        which = or_(reviewed_here, Agreement.status.in_(STILL_OPEN))
    agreements = list(
        session.scalars(
            select(Agreement)
            .where(
                Agreement.child_id == meeting.child_id,
                Agreement.meeting_id.in_(earlier),
                which,
            )
            .options(joinedload(Agreement.owner), joinedload(Agreement.meeting))
            .order_by(Agreement.due_on, Agreement.id)
        )
    )
    reviews = {
        r.agreement_id: r
        for r in session.scalars(
            select(AgreementReview).where(
                AgreementReview.meeting_id == meeting.id,
                AgreementReview.agreement_id.in_([a.id for a in agreements]),
            )
        )
    }
    return [ToReview(a, reviews.get(a.id)) for a in agreements]


def review(
    session: DbSession,
    seat: Seat,
    meeting: Meeting,
    agreement: Agreement,
    *,
    status: str,
    note: str,
    version: Any,
) -> AgreementReview:
    """Record how ``agreement`` (made in an earlier meeting) stands, as reviewed in
    ``meeting``; a second review in the same meeting corrects the first.

    Raises as :func:`require_open` does; RefusedError for an agreement that is not on this
    meeting's review list (made there, or done or dropped before), and (naming the field)
    for a status other than done, partly done, not done or dropped and for a too long note;
    StaleEditError when someone reviewed it since the form was opened.
    """
    require_open(seat, meeting)
    if agreement.id not in {t.agreement.id for t in to_review(session, meeting)}:
        raise RefusedError(NOT_ON_REVIEW_LIST)
    try:
        new_status = AgreementStatus(status)
    except ValueError:
        new_status = AgreementStatus.OPEN
    if new_status not in REVIEW_STATUSES:
        raise RefusedError(_l("Choose done, partly done, not done or dropped."), field="status")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise RefusedError(_l("Use at most %(max)d characters.", max=NOTE_MAX), field="note")
    expect_version(agreement, version)
    agreement.status = new_status
    flush_versioned(session)  # first, before any query flushes it unguarded
    found = session.scalar(
        select(AgreementReview).where(
            AgreementReview.agreement_id == agreement.id, AgreementReview.meeting_id == meeting.id
        )
    )
    if found is None:
        found = AgreementReview(
            agreement_id=agreement.id, meeting_id=meeting.id, child_id=seat.child.id
        )
        session.add(found)
    found.status = new_status
    found.note = note
    found.reviewed_by_id = seat.user.id
    session.flush()
    audit.record(
        session,
        "agreement_reviewed",
        actor=seat.user,
        child=seat.child,
        obj=agreement,
        data={"meeting": meeting.id, "status": new_status.value},
    )
    return found


def agreement_rule(role: Role, child: Any, viewer: Any) -> ColumnElement[bool]:
    """SQL for "person ``viewer``, in ``role``, sees this agreement of child ``child``": they
    see the meeting it was made in or one that reviewed it, or they own it. ``child`` and
    ``viewer`` are ids, or bound parameters of a statement built once per role (the child's
    timeline). The meetings seen, and the agreements reviewed in them, are each asked once,
    not once an agreement."""
    seen = select(Meeting.id).where(queries.meeting_rule(role, child, viewer)).scalar_subquery()
    reviewed_in_seen = select(AgreementReview.agreement_id).where(
        AgreementReview.meeting_id.in_(seen)
    )
    return (Agreement.child_id == child) & or_(
        Agreement.meeting_id.in_(seen),
        Agreement.owner_id == viewer,
        Agreement.id.in_(reviewed_in_seen.scalar_subquery()),
    )


def _visible(seat: Seat) -> ColumnElement[bool]:
    """SQL for "``seat`` sees this agreement of its child" (:func:`agreement_rule`)."""
    return agreement_rule(seat.role, seat.child.id, seat.user.id)


def agreement_clause(seat: Seat) -> ColumnElement[bool]:
    """SQL for "``seat`` sees this agreement of its child": the clause of the agreements'
    pages (the child's timeline too). Raises nothing."""
    return _visible(seat)


def agreement_or_404(session: DbSession, seat: Seat, agreement_id: int) -> Agreement:
    """An agreement of ``seat``'s child that ``seat`` sees. One query. Raises NotFoundError
    for a missing id, another child's agreement and one the person does not see alike."""
    found = session.scalar(
        select(Agreement)
        .where(Agreement.id == agreement_id, _visible(seat))
        .options(joinedload(Agreement.owner), joinedload(Agreement.meeting))
    )
    if found is None:
        policy.log_denied("agreement_missing_or_not_visible", seat.child.id)
        raise NotFoundError("agreement_missing_or_not_visible")
    return found


def in_meeting_or_404(session: DbSession, meeting: Meeting, agreement_id: int) -> Agreement:
    """An agreement of ``meeting``'s child by id (made there or earlier); NotFoundError for
    another child's."""
    found = session.scalar(
        select(Agreement).where(
            Agreement.id == agreement_id, Agreement.child_id == meeting.child_id
        )
    )
    if found is None:
        raise NotFoundError("agreement_of_another_child")
    return found


def history(session: DbSession, agreement: Agreement) -> list[AgreementReview]:
    """The reviews of ``agreement``, oldest first, with their meetings. One query."""
    return list(
        session.scalars(
            select(AgreementReview)
            .where(AgreementReview.agreement_id == agreement.id)
            .options(joinedload(AgreementReview.meeting), joinedload(AgreementReview.reviewed_by))
            .join(Meeting, Meeting.id == AgreementReview.meeting_id)
            .order_by(Meeting.starts_at, AgreementReview.id)
        )
    )


def visible_agreements(seat: Seat, *, open_only: bool = False) -> Select[Agreement]:
    """The agreements of ``seat``'s child that ``seat`` sees, the soonest due first."""
    stmt = select(Agreement).where(_visible(seat)).options(joinedload(Agreement.owner))
    if open_only:
        stmt = stmt.where(Agreement.status.in_(STILL_OPEN))
    return stmt.order_by(Agreement.due_on, Agreement.id)


def open_for_child_page(
    session: DbSession, seat: Seat, limit: int = OPEN_ON_CHILD_PAGE
) -> list[Any]:
    """The open agreements of ``seat``'s child that ``seat`` sees, soonest due first, at
    most ``limit``, as rows (``id``, ``text``, ``status``, ``due_on``, ``owner_id`` and the
    owner's name, ``owner``: None for a former member). One query, its statement built once
    per role."""
    params = {"child_id": seat.child.id, "user_id": seat.user.id, "limit": limit}
    return list(rows(session, _open_for_child_page_statement(seat.role), params))


@lru_cache(maxsize=8)
def _open_for_child_page_statement(role: Role) -> Select[*tuple[Any, ...]]:
    # Built once: building the clause costs more than running it. The person and the child
    # are bound parameters; the role decides the rule's shape.
    rule = agreement_rule(role, bindparam("child_id"), bindparam("user_id"))
    return (
        select(
            Agreement.id,
            Agreement.text,
            Agreement.status,
            Agreement.due_on,
            Agreement.owner_id,
            User.name.label("owner"),
        )
        .outerjoin(User, User.id == Agreement.owner_id)
        .where(rule, Agreement.status.in_(STILL_OPEN))
        .order_by(Agreement.due_on, Agreement.id)
        .limit(bindparam("limit"))
    )


def overdue_for(seat: Seat, agreement: Agreement | Any, today: date | None = None) -> bool:
    """True when ``agreement`` (an agreement, or a row with its ``status``, ``due_on`` and
    ``owner_id``) shows as overdue to ``seat``: it is open, past its due date, and ``seat``
    is its owner or the coach."""
    today = today or local_date()
    late = is_overdue(agreement.status, agreement.due_on, today)
    return late and (seat.is_coach or agreement.owner_id == seat.user.id)
