"""The child's meetings and agreements as their list pages read them: plain rows, a page at a
time, the statements built once (with ``bindparam``) for each way a person sees the child's
meetings. The same rows, in the same order, as :func:`queries.visible_meetings` and
:func:`agreements.visible_agreements` page through (an entity a row, and statements built
anew on every request, cost those pages more than all they drew).

A meeting's row holds ``id``, ``kind``, ``starts_at``, ``ends_at``, ``place`` and ``state``;
an agreement's ``id``, ``text``, ``party``, ``status``, ``due_on``, ``owner_id`` and its
owner's name (``owner``, None for a former member).
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, exists, func, or_, select

from app.circle import policy
from app.circle.models import User
from app.circle.policy import Seat
from app.core.db import DbSession
from app.core.paging import Page
from app.meetings.models import Meeting, MeetingInvitee
from app.meetings.models_followup import Agreement, AgreementReview


class _Paged:
    """A list's statement (ordered), with its page (``page_size`` rows from ``skip``) and
    the list's total beside them, and the total alone (for an empty page); built once."""

    def __init__(self, listed: Select[*tuple[Any, ...]]) -> None:
        total = select(func.count()).select_from(listed.order_by(None).subquery())
        self.counted = (
            listed.add_columns(total.scalar_subquery().label("list_total"))
            .limit(bindparam("page_size"))
            .offset(bindparam("skip"))
        )
        self.total = total

    def page(self, session: DbSession, params: dict[str, Any], number: int, per_page: int) -> Page:
        """Page ``number`` as ``paging.paginate`` gives it: a number past the end gives the
        last page. One query; a second one only for an empty page."""
        number = max(1, number)
        found = {**params, "page_size": per_page, "skip": (number - 1) * per_page}
        rows = session.execute(self.counted, found).all()
        if rows:
            return Page(rows, number, per_page, rows[0].list_total)
        total = session.scalar(self.total, params) or 0
        last = max(1, math.ceil(total / per_page))
        if number > last:
            return self.page(session, params, last, per_page)
        return Page(rows, number, per_page, total)


def _meeting_clause(sees_all: bool) -> ColumnElement[bool]:
    """SQL for "user ``user`` sees this meeting of child ``child``": every one, or those
    they are invited to (``queries.meeting_clause``)."""
    clause: ColumnElement[bool] = Meeting.child_id == bindparam("child")
    if not sees_all:
        invited = exists().where(
            MeetingInvitee.meeting_id == Meeting.id, MeetingInvitee.user_id == bindparam("user")
        )
        clause = clause & invited
    return clause


def _meetings(sees_all: bool) -> _Paged:
    return _Paged(
        select(
            Meeting.id,
            Meeting.kind,
            Meeting.starts_at,
            Meeting.ends_at,
            Meeting.place,
            Meeting.state,
        )
        .where(_meeting_clause(sees_all))
        .order_by(Meeting.starts_at.desc(), Meeting.id)
    )


def _agreements(sees_all: bool) -> _Paged:
    """``agreements.agreement_clause``: made in a meeting seen, owned, or reviewed in a
    meeting seen."""
    seen = select(Meeting.id).where(_meeting_clause(sees_all)).scalar_subquery()
    return _Paged(
        select(
            Agreement.id,
            Agreement.text,
            Agreement.party,
            Agreement.status,
            Agreement.due_on,
            Agreement.owner_id,
            User.name.label("owner"),
        )
        .outerjoin(User, User.id == Agreement.owner_id)
        .where(
            Agreement.child_id == bindparam("child"),
            or_(
                Agreement.meeting_id.in_(seen),
                Agreement.owner_id == bindparam("user"),
                exists().where(
                    AgreementReview.agreement_id == Agreement.id,
                    AgreementReview.meeting_id.in_(seen),
                ),
            ),
        )
        .order_by(Agreement.due_on, Agreement.id)
    )


#: By whether the person sees every meeting of the child.
_MEETINGS = {True: _meetings(True), False: _meetings(False)}
_AGREEMENTS = {True: _agreements(True), False: _agreements(False)}


def _params(seat: Seat) -> tuple[bool, dict[str, Any]]:
    return policy.sees_meeting(seat, invited=False), {
        "child": seat.child.id,
        "user": seat.user.id,
    }


def meetings_page(session: DbSession, seat: Seat, number: int, per_page: int) -> Page:
    """Page ``number`` of the meetings of ``seat``'s child that ``seat`` sees, the latest
    first, as rows. One query (two for an empty page)."""
    sees_all, params = _params(seat)
    return _MEETINGS[sees_all].page(session, params, number, per_page)


def agreements_page(session: DbSession, seat: Seat, number: int, per_page: int) -> Page:
    """Page ``number`` of the agreements of ``seat``'s child that ``seat`` sees, the soonest
    due first, as rows. One query (two for an empty page)."""
    sees_all, params = _params(seat)
    return _AGREEMENTS[sees_all].page(session, params, number, per_page)
