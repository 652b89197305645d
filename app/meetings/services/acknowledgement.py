"""The parents' side of a summary: the mail that it is ready, and their signed
acknowledgement of it (``app.core.signing``: typed name, evidence, the SHA-256 of the summary's
PDF they were shown), with an optional comment; its state shows to the coach.

Only parents and the pupil who were invited to the meeting acknowledge, and only the summary in
force: one that an addendum replaced meanwhile is refused with a clear message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for
from sqlalchemy import bindparam, select

from app.circle import policy
from app.circle.models import Membership, Role, User
from app.circle.policy import Action, Seat, active_membership_clause
from app.core import audit
from app.core.db import DbSession, rows, utcnow
from app.core.errors import ForbiddenError, RefusedError
from app.core.i18n import lazy_gettext as _l
from app.core.mail import queue_mail, render_mail
from app.core.signing import (
    Evidence,
    OpenedForm,
    Signature,
    SignatureMethod,
    signed_fields,
    store_once,
)
from app.meetings.models import Meeting, MeetingInvitee
from app.meetings.models_summary import MeetingSummary, SummaryAcknowledgement
from app.meetings.services import summary as summaries
from app.meetings.services.queries import SeenMeeting

#: The kind of signing form (its tokens pass for no other form).
ACK_FORM = "meeting-summary-ack"
REPLACED = _l(
    "This summary was replaced by an addendum while you were reading it. Read the new "
    "summary, then acknowledge that one."
)
ALREADY = _l("You have already acknowledged this summary.")
COMMENT_MAX = 2000


def home_side_invitees(session: DbSession, meeting: Meeting) -> list[User]:
    """The parents and the pupil invited to ``meeting`` and still in the circle, by name."""
    return list(
        session.scalars(
            select(User)
            .join(MeetingInvitee, MeetingInvitee.user_id == User.id)
            .join(
                Membership,
                (Membership.user_id == User.id) & (Membership.child_id == meeting.child_id),
            )
            .where(
                MeetingInvitee.meeting_id == meeting.id,
                Membership.role.in_([Role.PARENT, Role.PUPIL]),
                active_membership_clause(),
            )
            .order_by(User.name, User.id)
            .distinct()
        )
    )


def summary_link(meeting: Meeting) -> str:
    base: str = current_app.config["BASE_URL"].rstrip("/")
    return base + url_for("meetings.summary_page", child_id=meeting.child_id, meeting_id=meeting.id)


def tell_parents(session: DbSession, summary: MeetingSummary) -> None:
    """Mail the invited parents (and pupil) that ``summary`` is ready, each in their own
    language; the mail holds a link, never the summary's text."""
    meeting = summary.meeting
    for person in home_side_invitees(session, meeting):
        queue_mail(
            session,
            render_mail(
                "meeting_summary_ready",
                to=person.email,
                language=person.preferred_language,
                person=person,
                meeting=meeting,
                child=meeting.child,
                addendum=summary.is_addendum,
                link=summary_link(meeting),
            ),
        )


def may_acknowledge(seat: Seat, seen: SeenMeeting) -> bool:
    """True when ``seat`` acknowledges this meeting's summaries: a parent or the pupil who
    was invited to it."""
    return seat.may(Action.ACKNOWLEDGE_SUMMARY) and seen.invited


def shown_text(summary: MeetingSummary, sha256: str) -> str:
    """The canonical description of what an acknowledgement signs (its SHA-256 is stored)."""
    meeting = summary.meeting
    return (
        f"Meeting {meeting.id} ({meeting.ical_uid}), summary number {summary.number} "
        f"(#{summary.id}), PDF SHA-256 {sha256}: read by the signer."
    )


@dataclass(frozen=True)
class AckData:
    agrees: bool
    comment: str
    typed_name: str


def acknowledge(
    session: DbSession,
    seat: Seat,
    seen: SeenMeeting,
    summary: MeetingSummary,
    data: AckData,
    *,
    opened: OpenedForm,
    evidence: Evidence,
) -> SummaryAcknowledgement:
    """Store ``seat``'s signed acknowledgement of ``summary``, with their comment.

    Raises ForbiddenError for anyone but an invited parent or pupil; RefusedError for a
    summary an addendum replaced (or of another meeting), a second acknowledgement of the
    same summary, a comment missing where the person has one or too long (field
    ``comment``), an empty typed name; AlreadyStoredError for a double submit.
    """
    if not may_acknowledge(seat, seen):
        policy.log_denied("may_not_acknowledge_summary", seat.child.id)
        raise ForbiddenError("may_not_acknowledge_summary")
    current = summaries.current_summary(session, seen.meeting)
    if current is None or summary.meeting_id != seen.meeting.id or current.id != summary.id:
        raise RefusedError(REPLACED)
    if acknowledgement_of(session, summary, seat.user) is not None:
        raise RefusedError(ALREADY)
    comment = (data.comment or "").strip()
    if not data.agrees and not comment:
        raise RefusedError(_l("Write your comment."), field="comment")
    if len(comment) > COMMENT_MAX:
        raise RefusedError(_l("Use at most %(max)d characters.", max=COMMENT_MAX), field="comment")
    document = summaries.document_of(session, summary)
    if document is None:
        raise RefusedError(REPLACED)
    record = SummaryAcknowledgement(
        summary_id=summary.id,
        meeting_id=seen.meeting.id,
        child_id=seat.child.id,
        summary_sha256=document.sha256,
        agrees=data.agrees,
        comment=comment,
        **signed_fields(
            seat.user,
            shown=shown_text(summary, document.sha256),
            typed_name=data.typed_name,
            signature=Signature(SignatureMethod.TYPED),
            opened=opened,
            evidence=evidence,
        ),
    )
    store_once(session, record, message=ALREADY)
    audit.record(
        session,
        "summary_acknowledged",
        actor=seat.user,
        child=seat.child,
        obj=record,
        data={
            "summary": summary.id,
            "sha256": document.sha256,
            "opened_at": opened.opened_at.isoformat(),
        },
        personal={"agrees": data.agrees},  # a parent's view: erasable with the child
    )
    return record


_ACKNOWLEDGEMENT = select(SummaryAcknowledgement).where(
    SummaryAcknowledgement.summary_id == bindparam("summary"),
    SummaryAcknowledgement.signer_id == bindparam("signer"),
)


def acknowledgement_of(
    session: DbSession, summary: MeetingSummary, user: User
) -> SummaryAcknowledgement | None:
    return session.scalar(_ACKNOWLEDGEMENT, {"summary": summary.id, "signer": user.id})


@dataclass(frozen=True)
class AckState:
    """How one invited parent stands with the summary in force."""

    person: User
    record: SummaryAcknowledgement | None


def states(session: DbSession, summary: MeetingSummary) -> list[AckState]:
    """For the coach: each invited parent (and pupil) and their acknowledgement of
    ``summary``, if any. Two queries."""
    records = {
        r.signer_id: r
        for r in session.scalars(
            select(SummaryAcknowledgement).where(SummaryAcknowledgement.summary_id == summary.id)
        )
    }
    return [
        AckState(person, records.get(person.id))
        for person in home_side_invitees(session, summary.meeting)
    ]


#: For the coach: each parent (and the pupil) invited to meeting ``meeting`` and still in
#: the circle of child ``child`` at ``now``, by name, with their acknowledgement of summary
#: ``summary`` if any (``signed_at`` None without one).
_ACK_LINES = (
    select(
        User.name,
        SummaryAcknowledgement.agrees,
        SummaryAcknowledgement.signed_at,
        SummaryAcknowledgement.comment,
        User.id.label("user_id"),  # ordered by: PostgreSQL's DISTINCT wants it selected
    )
    .join(MeetingInvitee, MeetingInvitee.user_id == User.id)
    .join(Membership, (Membership.user_id == User.id) & (Membership.child_id == bindparam("child")))
    .outerjoin(
        SummaryAcknowledgement,
        (SummaryAcknowledgement.signer_id == User.id)
        & (SummaryAcknowledgement.summary_id == bindparam("summary")),
    )
    .where(
        MeetingInvitee.meeting_id == bindparam("meeting"),
        Membership.role.in_([Role.PARENT, Role.PUPIL]),
        active_membership_clause(bindparam("now")),
    )
    .order_by(User.name, User.id)
    .distinct()
)


def ack_lines(session: DbSession, summary: MeetingSummary) -> list[Any]:
    """:func:`states` as rows (name, agrees, signed_at, comment, user_id), for the summary's page.
    One query."""
    params = {
        "child": summary.child_id,
        "summary": summary.id,
        "meeting": summary.meeting_id,
        "now": utcnow(),
    }
    return list(rows(session, _ACK_LINES, params))


def parts_for(seat: Seat, seen: SeenMeeting, summary: MeetingSummary, session: DbSession) -> Any:
    """What a summary's page shows of acknowledgements to ``seat``: their own (a parent who
    acknowledges), everyone's as rows (the school side: :func:`ack_lines`)."""
    may = may_acknowledge(seat, seen)
    return {
        "may_acknowledge": may,
        "my_acknowledgement": acknowledgement_of(session, summary, seat.user) if may else None,
        "ack_states": ack_lines(session, summary) if seat.is_school_side else [],
    }
