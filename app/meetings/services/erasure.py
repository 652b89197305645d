"""Erasing a child's meetings: every meeting with its invitees, agenda, notes, questions brought,
agreements with their reviews and reminders, summaries and acknowledgements.

A finalised meeting is locked against change (:mod:`app.meetings.lock`); erasure does not
change it, it destroys it, all at once, in plain DELETE statements that the lock's flush guard
never sees. This is the one way a finalised meeting goes. The summary PDFs are documents and go
(or stay, within their retention term) with the documents' eraser.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, delete, select, update

from app.circle.models import Child
from app.core.db import DbSession
from app.meetings.models import (
    AgendaItem,
    ItemNotes,
    Meeting,
    MeetingContribution,
    MeetingInvitee,
)
from app.meetings.models_followup import Agreement, AgreementReminder, AgreementReview
from app.meetings.models_summary import MeetingSummary, SummaryAcknowledgement


def erase_child(session: DbSession, child: Child) -> None:
    """Delete every meeting of ``child`` and everything below it. Raises nothing beyond
    database errors; the caller commits."""
    meetings = select(Meeting.id).where(Meeting.child_id == child.id)
    agreements = select(Agreement.id).where(Agreement.child_id == child.id)
    # Children before parents, so that no foreign key waits on a cascade.
    session.execute(delete(AgreementReminder).where(AgreementReminder.agreement_id.in_(agreements)))
    session.execute(delete(AgreementReview).where(AgreementReview.child_id == child.id))
    session.execute(
        delete(SummaryAcknowledgement).where(SummaryAcknowledgement.child_id == child.id)
    )
    session.execute(delete(Agreement).where(Agreement.child_id == child.id))
    session.execute(delete(ItemNotes).where(ItemNotes.child_id == child.id))
    session.execute(delete(AgendaItem).where(AgendaItem.child_id == child.id))
    session.execute(delete(MeetingContribution).where(MeetingContribution.child_id == child.id))
    session.execute(delete(MeetingInvitee).where(MeetingInvitee.meeting_id.in_(meetings)))
    # A summary may name the one it replaces: no order of rows keeps that key, so drop it first.
    # On the table, not the model: the model refuses every update of a summary.
    summaries = cast(Table, MeetingSummary.__table__)
    session.execute(
        update(summaries).where(summaries.c.child_id == child.id).values(replaces_id=None)
    )
    session.execute(delete(MeetingSummary).where(MeetingSummary.child_id == child.id))
    session.execute(delete(Meeting).where(Meeting.child_id == child.id))
