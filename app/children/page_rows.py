"""The rows of the child's page, written out once in the view (templates/children/show.html),
which unpacks each row in its fields' order.

In the template each piece of a row was a filter, an address, a global or a macro called
through Jinja's context; here it is worked out in Python and the template reads plain values.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, NamedTuple

from app.circle.models import Child
from app.core import paging
from app.core.i18n import format_date, format_time
from app.core.i18n import gettext as _
from app.meetings.forms import KIND_LABELS
from app.meetings.models import MeetingKind
from app.people.forms import ROLE_LABELS


class MeetingRow(NamedTuple):
    address: str
    kind: str
    starts_at: str  # ISO 8601, for <time datetime>
    when: str  # the day and the time of day, as the language writes them


class AgreementRow(NamedTuple):
    address: str
    text: str
    owner: str | None  # None for a former member
    due: str
    overdue: bool


class MemberRow(NamedTuple):
    name: str
    you: bool
    role: str
    role_label: str
    until: str | None
    remove_address: str | None  # the address that removes them, for who may manage the circle


def meeting_rows(child: Child, meetings: Sequence[Any]) -> list[MeetingRow]:
    """The upcoming meetings' rows (``queries.upcoming_for``: ``id``, ``kind``, ``starts_at``)."""
    address = paging.address_of_items("meetings.show", "meeting_id", child_id=child.id)
    return [
        MeetingRow(
            address=address.format(id=m.id),
            kind=str(KIND_LABELS[MeetingKind(m.kind)]),
            starts_at=m.starts_at.isoformat(),
            when=f"{format_date(m.starts_at, 'full')}, {format_time(m.starts_at, 'short')}",
        )
        for m in meetings
    ]


def agreement_rows(
    child: Child, agreements: Sequence[Any], overdue: Collection[int]
) -> list[AgreementRow]:
    """The open agreements' rows (``agreements.open_for_child_page``)."""
    address = paging.address_of_items("meetings.agreement", "agreement_id", child_id=child.id)
    return [
        AgreementRow(
            address=address.format(id=a.id),
            text=a.text,
            owner=a.owner,
            due=_("due %(date)s", date=format_date(a.due_on, "medium")),
            overdue=a.id in overdue,
        )
        for a in agreements
    ]


def member_rows(
    child: Child, members: Sequence[Any], user_id: int, *, may_remove: bool
) -> list[MemberRow]:
    """The circle's rows (``people.circle_rows``)."""
    address = paging.address_of_items("people.remove_member", "membership_id", child_id=child.id)
    labels = {role: str(ROLE_LABELS[role]) for role in {m.role for m in members}}
    return [
        MemberRow(
            name=m.name,
            you=m.user_id == user_id,
            role=m.role.value,
            role_label=labels[m.role],
            until=_("until %(date)s", date=format_date(m.active_until, "medium"))
            if m.active_until
            else None,
            remove_address=address.format(id=m.id) if may_remove and m.user_id != user_id else None,
        )
        for m in members
    ]
