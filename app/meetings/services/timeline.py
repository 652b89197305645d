"""The meetings' events on a child's timeline (``app.core.timeline``): meetings planned, held
and cancelled, summaries issued (the first at finalising, then each addendum) and
acknowledged, agreements made and reviewed.

Each select is filtered in SQL by the rule of the meetings' own pages: a meeting by
``queries.meeting_rule`` (the school side sees every meeting, parents and the pupil those
they are invited to), an agreement and its reviews by ``agreements.agreement_rule`` (made in
or reviewed in a meeting one sees, or one's own), an acknowledgement like the summary page
shows it (the school side everyone's, a parent their own). Read from the feature's tables,
never the audit log. Built once per role, the child, the viewer and the time bound at each
request (``app.core.timeline``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CTE, ColumnElement, Select, case, or_, select
from sqlalchemy.orm import aliased

from app.circle import policy
from app.circle.models import Role
from app.core.timeline import CHILD, NOW, VIEWER, Source, event_columns, kind_when
from app.meetings.models import Meeting, MeetingState
from app.meetings.models_followup import Agreement, AgreementReview
from app.meetings.models_summary import MeetingSummary, SummaryAcknowledgement
from app.meetings.services import agreements, queries

PLANNED = "meeting.planned"
HELD = "meeting.held"
CANCELLED = "meeting.cancelled"
FINALISED = "meeting.finalised"  # its first summary issued
ADDENDUM = "meeting.addendum"
ACKNOWLEDGED = "meeting.acknowledged"
AGREED = "agreement.made"
REVIEWED = "agreement.reviewed"

KINDS = (PLANNED, HELD, CANCELLED, FINALISED, ADDENDUM, ACKNOWLEDGED, AGREED, REVIEWED)


# What each event shows, built once: a request adds only who sees it (its WHERE).
_MEETING: dict[str, Any] = {
    "object_id": Meeting.id,
    "subject_id": Meeting.id,
    "detail": Meeting.kind,
    "refers_at": Meeting.starts_at,
}
_PLANNED = select(
    *event_columns(
        occurred_at=Meeting.created_at, kind=PLANNED, actor_id=Meeting.organizer_id, **_MEETING
    )
)
# Held once begun, unless cancelled: then the cancellation is its event.
_IS_CANCELLED = Meeting.state == MeetingState.CANCELLED
_HELD_OR_CANCELLED = select(
    *event_columns(
        occurred_at=case((_IS_CANCELLED, Meeting.cancelled_at), else_=Meeting.starts_at),
        kind=kind_when([(_IS_CANCELLED, CANCELLED)], HELD),
        **_MEETING,
    )
)
# The first summary is issued at finalising; each addendum replaces the one before.
_SUMMARIES = select(
    *event_columns(
        occurred_at=MeetingSummary.created_at,
        kind=kind_when([(MeetingSummary.replaces_id.is_(None), FINALISED)], ADDENDUM),
        object_id=MeetingSummary.id,
        subject_id=Meeting.id,
        actor_id=MeetingSummary.created_by_id,
        detail=Meeting.kind,
        refers_at=Meeting.starts_at,
    )
).join(Meeting, Meeting.id == MeetingSummary.meeting_id)
_ACKNOWLEDGED = select(
    *event_columns(
        occurred_at=SummaryAcknowledgement.signed_at,
        kind=ACKNOWLEDGED,
        object_id=SummaryAcknowledgement.id,
        subject_id=Meeting.id,
        actor_id=SummaryAcknowledgement.signer_id,
        detail=Meeting.kind,
        refers_at=Meeting.starts_at,
    )
).join(Meeting, Meeting.id == SummaryAcknowledgement.meeting_id)
_AGREED = select(
    *event_columns(
        occurred_at=Agreement.created_at,
        kind=AGREED,
        object_id=Agreement.id,
        subject_id=Agreement.id,
        actor_id=Agreement.created_by_id,
        title=Agreement.text,
        detail=Agreement.party,
    )
)
# An alias: the agreement's clause asks about its reviews (AgreementReview) itself.
_REVIEW = aliased(AgreementReview)
_REVIEWED = select(
    *event_columns(
        occurred_at=_REVIEW.reviewed_at,
        kind=REVIEWED,
        object_id=_REVIEW.id,
        subject_id=Agreement.id,
        actor_id=_REVIEW.reviewed_by_id,
        title=Agreement.text,
        detail=_REVIEW.status,
    )
).join(Agreement, Agreement.id == _REVIEW.agreement_id)


def _seen(role: Role) -> ColumnElement[bool]:
    """SQL for "the viewer, in ``role``, sees this meeting of the child": the meetings' own
    rule (``queries.meeting_rule``), the child and the viewer bound at each request."""
    return queries.meeting_rule(role, CHILD, VIEWER)


def _agreements_seen(role: Role) -> CTE:
    """The ids of the child's agreements that the viewer, in ``role``, sees: the agreements'
    own rule (``agreements.agreement_rule``), asked once a statement (a named WITH) for the
    agreements, their reviews and the count of each alike."""
    return (
        select(Agreement.id)
        .where(agreements.agreement_rule(role, CHILD, VIEWER))
        .cte("agreements_seen")
    )


def events(role: Role) -> list[Select[Any]]:
    """The selects of the meetings' events of the child that someone in ``role`` sees, each
    of the timeline's columns. Raises nothing."""
    seen = _seen(role)
    agreements_seen = select(_agreements_seen(role).c.id)
    acknowledged = _ACKNOWLEDGED.where(seen, SummaryAcknowledgement.child_id == CHILD)
    if not policy.is_school_side(role):  # the summary page shows a parent only their own
        acknowledged = acknowledged.where(SummaryAcknowledgement.signer_id == VIEWER)
    return [
        _PLANNED.where(seen),
        _HELD_OR_CANCELLED.where(
            seen,
            or_(
                _IS_CANCELLED & Meeting.cancelled_at.is_not(None),
                ~_IS_CANCELLED & (Meeting.starts_at <= NOW),
            ),
        ),
        _SUMMARIES.where(seen, MeetingSummary.child_id == CHILD),
        acknowledged,
        _AGREED.where(Agreement.child_id == CHILD, Agreement.id.in_(agreements_seen)),
        _REVIEWED.where(_REVIEW.child_id == CHILD, _REVIEW.agreement_id.in_(agreements_seen)),
    ]


SOURCE = Source(events)
