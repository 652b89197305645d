"""A finalised meeting is locked: nothing of it is added, changed or taken away afterwards.

Updates of the meeting itself, of the agreements made there and of the reviews made there
are refused by the shared :class:`app.core.immutable.Immutable` guard on their models. This
module adds the rows that hang below a meeting (agenda items, questions brought, invitees,
agreements, reviews): a flush that adds, changes or deletes one of them while its meeting is
finalised raises :class:`ImmutableRecordError`, whichever route, service, command or job
tried. Services refuse first with a clear message; this is the floor under them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import get_history

from app.core.immutable import ImmutableRecordError
from app.meetings.models import AgendaItem, Meeting, MeetingContribution, MeetingInvitee
from app.meetings.models_followup import Agreement, AgreementReview

#: The rows that belong to one meeting (``meeting_id``) and are locked with it.
LOCKED_WITH_MEETING = (AgendaItem, MeetingContribution, MeetingInvitee, Agreement, AgreementReview)


def _finalised(session: Session, meeting_id: int | None) -> bool:
    if meeting_id is None:
        return False
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        return False
    # The state the database holds: a meeting being finalised in this very flush still
    # takes the rows that come with finalising.
    history = get_history(meeting, "state")
    before = (history.deleted or history.unchanged or [meeting.state])[0]
    return str(before) == "finalised"


@event.listens_for(Session, "before_flush")
def _refuse_changes_below_finalised(session: Session, context: Any, instances: Any) -> None:
    for row in (*session.new, *session.deleted, *session.dirty):
        if isinstance(row, LOCKED_WITH_MEETING) and _finalised(session, row.meeting_id):
            if row in session.dirty and not session.is_modified(row):
                continue
            if isinstance(row, Agreement) and row in session.dirty:
                continue  # its own guard lets a later review move the status on
            raise ImmutableRecordError(
                f"{type(row).__name__} of finalised meeting {row.meeting_id} cannot change"
            )
