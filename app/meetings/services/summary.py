"""Finalising a meeting and its summary.

Finalising fixes the meeting for good (its row, agenda, questions brought, the agreements made
there and the reviews made there: ``app.meetings.lock``) and issues the first
:class:`MeetingSummary`; a correction afterwards is an addendum by the coach, a new summary that
names the one it replaces. Each summary becomes a sealed PDF through the shared services
(``app.core.pdf`` renders, ``app.core.seal`` seals, ``app.documents.services`` stores and records
it), which the documents' verify page and ``flask verify-pdf`` recognise. Staff-only
preparation notes never reach the summary: the print layout is given none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import bindparam, select

from app.circle import policy
from app.circle.models import User
from app.circle.policy import Action, Seat
from app.core import audit
from app.core.audit import AuditEvent, AuditPersonal
from app.core.concurrency import expect_version, flush_versioned
from app.core.db import DbSession, utcnow
from app.core.errors import ForbiddenError, NotFoundError, RefusedError
from app.core.i18n import gettext as _
from app.core.i18n import lazy_gettext as _l
from app.documents.models import Document, DocumentKind
from app.documents.services import documents_for, issue_document
from app.meetings.models import Meeting, MeetingState
from app.meetings.models_summary import MeetingSummary
from app.meetings.services import agreement_rows, agreements, queries
from app.meetings.services.summary_rows import printed_items

NOTES_MAX = 8000
ALREADY_FINALISED = _l("This meeting is already finalised. A correction is an addendum.")
NOT_BEGUN = _l("A meeting can be finalised once it has begun.")
CANCELLED = _l("A cancelled meeting is not finalised.")
NOT_FINALISED = _l("Only a finalised meeting takes an addendum.")

#: The audit actions the summary's evidence page lists.
EVIDENCE_ACTIONS = (
    "meeting_planned",
    "meeting_changed",
    "meeting_finalised",
    "meeting_addendum_added",
)


@dataclass(frozen=True)
class FinaliseData:
    """What the coach fills in when finalising: what the group saw, what the child needs,
    and who attended (from the invitees)."""

    seen: str
    need: str
    attendee_ids: frozenset[int]


def _may_lead(seat: Seat, meeting: Meeting) -> None:
    if not seat.may(Action.PLAN_MEETING):
        policy.log_denied("may_not_finalise_meeting", seat.child.id)
        raise ForbiddenError("may_not_finalise_meeting")
    if meeting.child_id != seat.child.id:
        raise NotFoundError("meeting_of_another_child")


def _text(value: str, field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise RefusedError(_l("Please fill in this field."), field=field)
    if len(text) > NOTES_MAX:
        raise RefusedError(_l("Use at most %(max)d characters.", max=NOTES_MAX), field=field)
    return text


def finalise(
    session: DbSession, seat: Seat, meeting: Meeting, data: FinaliseData, *, version: Any
) -> MeetingSummary:
    """Finalise ``meeting``: lock it, store its first summary and issue the sealed PDF.

    Raises ForbiddenError when the seat may not lead meetings; RefusedError for a meeting
    finalised already (finalising twice), cancelled or not begun yet, an empty or too long
    text (naming the field), no attendee or one who was not invited; StaleEditError when the
    meeting changed since the form was opened; and what issuing the PDF raises. Nothing is
    stored then (the caller rolls back).
    """
    _may_lead(seat, meeting)
    if meeting.state is MeetingState.FINALISED:
        raise RefusedError(ALREADY_FINALISED)
    if meeting.state is MeetingState.CANCELLED:
        raise RefusedError(CANCELLED)
    if meeting.starts_at > utcnow():
        raise RefusedError(NOT_BEGUN)
    seen = _text(data.seen, "seen")
    need = _text(data.need, "need")
    invited = {i.user_id: i.user for i in queries.invitees_of(session, meeting)}
    if not data.attendee_ids:
        raise RefusedError(_l("Tick who attended."), field="attendees")
    if not data.attendee_ids <= invited.keys():
        raise RefusedError(_l("Only people invited can have attended."), field="attendees")
    expect_version(meeting, version)
    meeting.state = MeetingState.FINALISED
    flush_versioned(session)
    attendees = sorted(
        ({"id": uid, "name": invited[uid].name} for uid in data.attendee_ids),
        key=lambda a: (str(a["name"]).casefold(), a["id"]),
    )
    summary = MeetingSummary(
        meeting_id=meeting.id,
        child_id=meeting.child_id,
        number=1,
        seen=seen,
        need=need,
        attendees_json=json.dumps(attendees, ensure_ascii=False),
        created_by_id=seat.user.id,
    )
    session.add(summary)
    session.flush()
    audit.record(
        session,
        "meeting_finalised",
        actor=seat.user,
        child=seat.child,
        obj=meeting,
        data={"summary": summary.id, "attendees": sorted(data.attendee_ids)},
    )
    issue_pdf(session, summary, actor=seat.user)
    _tell_parents(session, summary)
    return summary


def add_addendum(session: DbSession, seat: Seat, meeting: Meeting, text: str) -> MeetingSummary:
    """Correct a finalised meeting by an addendum: a new summary that holds the correction
    and names the one it replaces, issued as a new sealed PDF. The meeting itself is not
    changed.

    Raises ForbiddenError when the seat may not lead meetings, RefusedError for a meeting
    that is not finalised and for an empty or too long text (field ``text``).
    """
    _may_lead(seat, meeting)
    if meeting.state is not MeetingState.FINALISED:
        raise RefusedError(NOT_FINALISED)
    addendum = _text(text, "text")
    latest = current_summary(session, meeting)
    if latest is None:  # a finalised meeting always has one; never a silent first
        raise RefusedError(NOT_FINALISED)
    summary = MeetingSummary(
        meeting_id=meeting.id,
        child_id=meeting.child_id,
        number=latest.number + 1,
        seen=latest.seen,
        need=latest.need,
        attendees_json=latest.attendees_json,
        addendum=addendum,
        replaces_id=latest.id,
        created_by_id=seat.user.id,
    )
    session.add(summary)
    session.flush()
    audit.record(
        session,
        "meeting_addendum_added",
        actor=seat.user,
        child=seat.child,
        obj=meeting,
        data={"summary": summary.id, "replaces": latest.id},
    )
    issue_pdf(session, summary, actor=seat.user)
    _tell_parents(session, summary)
    return summary


def _tell_parents(session: DbSession, summary: MeetingSummary) -> None:
    from app.meetings.services import acknowledgement

    acknowledgement.tell_parents(session, summary)


_SUMMARIES = (
    select(MeetingSummary)
    .where(MeetingSummary.meeting_id == bindparam("meeting"))
    .order_by(MeetingSummary.number)
)


def summaries_of(session: DbSession, meeting: Meeting) -> list[MeetingSummary]:
    """Every summary of ``meeting``, the first first. One query."""
    return list(session.scalars(_SUMMARIES, {"meeting": meeting.id}))


_CURRENT = (
    select(MeetingSummary)
    .where(MeetingSummary.meeting_id == bindparam("meeting"))
    .order_by(MeetingSummary.number.desc())
    .limit(1)
)


def current_summary(session: DbSession, meeting: Meeting) -> MeetingSummary | None:
    """The summary in force: the latest addendum, else the first; None before finalising."""
    return session.scalar(_CURRENT, {"meeting": meeting.id})


def document_of(session: DbSession, summary: MeetingSummary) -> Document | None:
    """The sealed PDF issued for ``summary`` (None should the issue have failed)."""
    issued = documents_for(session, [summary]).get(summary, [])
    return issued[-1] if issued else None


def summary_or_404(session: DbSession, meeting: Meeting, number: int | None) -> MeetingSummary:
    """Summary ``number`` of ``meeting`` (the current one for None). Raises NotFoundError."""
    if number is None:
        found = current_summary(session, meeting)
    else:
        found = session.scalar(
            select(MeetingSummary).where(
                MeetingSummary.meeting_id == meeting.id, MeetingSummary.number == number
            )
        )
    if found is None:
        raise NotFoundError("no_such_summary")
    return found


@dataclass(frozen=True)
class EvidenceLine:
    what: str
    at: Any
    who: str
    ip: str
    device: str


def evidence_lines(session: DbSession, meeting: Meeting, upto: int | None) -> list[EvidenceLine]:
    """The audit events behind the meeting's summary, oldest first, up to event ``upto``."""
    stmt = (
        select(AuditEvent, AuditPersonal.details, User.name)
        .outerjoin(AuditPersonal, AuditPersonal.event_id == AuditEvent.id)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(
            # The child too: an erased child's meeting ids may be handed out again on SQLite.
            AuditEvent.child_id == meeting.child_id,
            AuditEvent.object_type == type(meeting).__name__,
            AuditEvent.object_id == meeting.id,
            AuditEvent.action.in_(EVIDENCE_ACTIONS),
        )
        .order_by(AuditEvent.id)
    )
    if upto is not None:
        stmt = stmt.where(AuditEvent.id <= upto)
    lines = []
    for event, details, name in session.execute(stmt):
        personal = json.loads(details) if details else {}
        lines.append(
            EvidenceLine(
                event.action,
                event.created_at,
                name or "",
                personal.get("ip", ""),
                personal.get("user_agent", ""),
            )
        )
    return lines


def pdf_values(session: DbSession, summary: MeetingSummary) -> dict[str, Any]:
    """What ``pdf/meeting_summary.html`` shows for ``summary``."""
    meeting = summary.meeting
    items = printed_items(session, meeting)
    replaced = summary.replaces
    return {
        "summary": summary,
        "meeting": meeting,
        "child": meeting.child,
        "items": items,
        "agreements": agreements.made_in(session, meeting),
        "reviewed": [
            entry for entry in agreements.to_review(session, meeting) if entry.review is not None
        ],
        "replaced": replaced,
        "replaced_document": document_of(session, replaced) if replaced is not None else None,
        "evidence": evidence_lines(session, meeting, None),
    }


def page_values(session: DbSession, meeting: Meeting, summary: MeetingSummary) -> dict[str, Any]:
    """What ``meetings/summary.html`` shows of ``summary`` (of ``meeting``): the PDF's text
    without its posters and evidence, the agreements as rows (``agreement_rows``). Three
    queries, four for an addendum (the summary it replaces)."""
    return {
        "summary": summary,
        "meeting": meeting,
        "items": printed_items(session, meeting),
        "agreements": agreement_rows.made_in(session, meeting),
        "reviewed": agreement_rows.reviewed_in(session, meeting),
        "replaced": summary.replaces if summary.replaces_id is not None else None,
    }


def media_keys_of(values: dict[str, Any]) -> list[str]:
    """The posters the summary shows: the only stored files its PDF may hold."""
    return sorted({key for item in values["items"] for key in item.posters})


def pdf_title(summary: MeetingSummary, language: str) -> str:
    with force_locale(language):
        if summary.is_addendum:
            return _("Meeting summary, addendum %(number)d", number=summary.number - 1)
        return _("Meeting summary")


def print_language() -> str:
    """The language summaries are printed in: the school's (the portal's default)."""
    return str(current_app.config.get("DEFAULT_LANGUAGE", "nl"))


def issue_pdf(session: DbSession, summary: MeetingSummary, *, actor: Any) -> Document:
    """Render, seal, store and record the PDF of ``summary``. Raises what
    ``documents.services.issue_document`` raises; the caller's transaction then rolls back
    with the summary, so no summary exists without its document."""
    values = pdf_values(session, summary)
    language = print_language()
    child = values["child"]
    with force_locale(language):
        reason = _("Meeting summary, sealed by the school")
    return issue_document(
        session,
        school=child.school,
        kind=DocumentKind.MEETING_SUMMARY,
        child=child,
        subject=summary,
        title=pdf_title(summary, language),
        template="pdf/meeting_summary.html",
        values=values,
        actor=actor,
        reason=reason,
        language=language,
        media_keys=media_keys_of(values),
    )
