"""The child's meetings and agreements as their list pages read them: plain rows, a page at a
time, the statements built once (with ``bindparam``) per role, on the meetings' own rules
(``queries.meeting_rule``, ``agreements.agreement_rule``). The same rows, in the same order,
as :func:`queries.visible_meetings` and :func:`agreements.visible_agreements` page through
(an entity a row, and statements built anew on every request, cost those pages more than all
they drew).

A meeting's row holds ``id``, ``kind``, ``starts_at``, ``ends_at``, ``place`` and ``state``;
an agreement's ``id``, ``text``, ``party``, ``status``, ``due_on``, ``owner_id`` and its
owner's name (``owner``, None for a former member).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, func, select

from app.circle.models import Role, User
from app.circle.policy import Seat
from app.core.db import DbSession, rows
from app.core.paging import Page
from app.meetings.models import Meeting
from app.meetings.models_followup import Agreement
from app.meetings.services import agreements, queries


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
        listed = rows(session, self.counted, found)
        if listed:
            return Page(list(listed), number, per_page, listed[0].list_total)
        total = session.scalar(self.total, params) or 0
        last = max(1, math.ceil(total / per_page))
        if number > last:
            return self.page(session, params, last, per_page)
        return Page([], number, per_page, total)


#: The bound parameters of the lists' statements, built once per role.
_CHILD: BindParameter[int] = bindparam("child")
_USER: BindParameter[int] = bindparam("user")


@lru_cache(maxsize=8)
def _meetings(role: Role) -> _Paged:
    """The meetings someone in ``role`` sees (``queries.meeting_rule``), the latest first."""
    return _Paged(
        select(
            Meeting.id,
            Meeting.kind,
            Meeting.starts_at,
            Meeting.ends_at,
            Meeting.place,
            Meeting.state,
        )
        .where(queries.meeting_rule(role, _CHILD, _USER))
        .order_by(Meeting.starts_at.desc(), Meeting.id)
    )


@lru_cache(maxsize=8)
def _agreements(role: Role) -> _Paged:
    """The agreements someone in ``role`` sees (``agreements.agreement_rule``), the soonest
    due first."""
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
        .where(agreements.agreement_rule(role, _CHILD, _USER))
        .order_by(Agreement.due_on, Agreement.id)
    )


def _params(seat: Seat) -> dict[str, Any]:
    return {"child": seat.child.id, "user": seat.user.id}


def meetings_page(session: DbSession, seat: Seat, number: int, per_page: int) -> Page:
    """Page ``number`` of the meetings of ``seat``'s child that ``seat`` sees, the latest
    first, as rows. One query (two for an empty page)."""
    return _meetings(seat.role).page(session, _params(seat), number, per_page)


def agreements_page(session: DbSession, seat: Seat, number: int, per_page: int) -> Page:
    """Page ``number`` of the agreements of ``seat``'s child that ``seat`` sees, the soonest
    due first, as rows. One query (two for an empty page)."""
    return _agreements(seat.role).page(session, _params(seat), number, per_page)
