"""The meeting pages the page benchmark measures (``bench.pages``), for one person and one
child: the child's meetings, the meeting with the most agenda items that the person sees (its
page, and meeting mode for the coach), the child's agreements, the agreement with the most
reviews that the person sees, and the summary of the finalised meeting with the most addenda
(then agenda items) that the person sees.

Not a benchmark itself (no ``main``): ``python -m bench`` skips it.
"""

from __future__ import annotations

from typing import Any


def meeting_paths(conn: Any, child_id: int, user_id: int, coach: bool) -> list[tuple[str, str]]:
    """(name, path) of each meeting page ``user_id`` opens for ``child_id``; the coach sees
    every meeting, a parent those they are invited to."""
    from sqlalchemy import exists, func, select, true

    from app.meetings.models import AgendaItem, Meeting, MeetingInvitee, MeetingState
    from app.meetings.models_followup import Agreement, AgreementReview
    from app.meetings.models_summary import MeetingSummary

    def sees(meeting_id: Any) -> Any:
        if coach:
            return true()
        return exists().where(
            MeetingInvitee.meeting_id == meeting_id, MeetingInvitee.user_id == user_id
        )

    def richest(state: MeetingState, *first: Any) -> int:
        # The meeting with the most agenda items (after ``first``), of those the person sees.
        return conn.execute(
            select(Meeting.id)
            .outerjoin(AgendaItem, AgendaItem.meeting_id == Meeting.id)
            .where(Meeting.child_id == child_id, Meeting.state == state, sees(Meeting.id))
            .group_by(Meeting.id)
            .order_by(*first, func.count(AgendaItem.id).desc(), Meeting.id.desc())
            .limit(1)
        ).scalar_one()

    busiest = richest(MeetingState.HELD)
    # The summary with the most addenda: the one in force is an addendum on either dataset.
    issued = (
        select(func.count(MeetingSummary.id))
        .where(MeetingSummary.meeting_id == Meeting.id)
        .scalar_subquery()
    )
    summed = richest(MeetingState.FINALISED, issued.desc())
    agreement = conn.execute(
        select(Agreement.id)
        .outerjoin(AgreementReview, AgreementReview.agreement_id == Agreement.id)
        .where(Agreement.child_id == child_id, sees(Agreement.meeting_id))
        .group_by(Agreement.id)
        .order_by(func.count(AgreementReview.id).desc(), Agreement.id)
        .limit(1)
    ).scalar_one()
    base = f"/children/{child_id}"
    return [
        ("meetings list", f"{base}/meetings"),
        ("meeting", f"{base}/meetings/{busiest}"),
        *([("meeting mode", f"{base}/meetings/{busiest}/mode")] if coach else []),
        ("agreements list", f"{base}/agreements"),
        ("agreement", f"{base}/agreements/{agreement}"),
        ("summary", f"{base}/meetings/{summed}/summary"),
    ]
