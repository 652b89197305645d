"""Finalising a meeting, addenda, and the summary: its page and its sealed PDF."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from wtforms import SelectChoice

from app.circle import routes
from app.circle.policy import Action, Seat
from app.core import audit
from app.core.concurrency import StaleEditError
from app.core.db import db, utcnow
from app.core.errors import ForbiddenError, RefusedError
from app.core.forms import attempt, show_refusal
from app.core.i18n import gettext as _
from app.core.signing import evidence_from_request, sign_with_form
from app.documents.services import send_document
from app.meetings import bp
from app.meetings.forms_followup import AcknowledgeForm, AddendumForm, FinaliseForm
from app.meetings.models import Meeting
from app.meetings.services import acknowledgement, queries, summary


def _meeting(seat: Seat, meeting_id: int) -> Meeting:
    return queries.meeting_or_404(db.session, seat, meeting_id).meeting


def _to_meeting(meeting: Meeting) -> Any:
    return redirect(
        url_for("meetings.show", child_id=meeting.child_id, meeting_id=meeting.id) + "#summary"
    )


@bp.route("/children/<int:child_id>/meetings/<int:meeting_id>/finalise", methods=["GET", "POST"])
@routes.for_child(Action.PLAN_MEETING)
def finalise(seat: Seat, meeting_id: int) -> Any:
    meeting = _meeting(seat, meeting_id)
    invitees = queries.invitees_of(db.session, meeting)
    form = FinaliseForm()
    form.attendees.choices = [SelectChoice(i.user_id, i.user.name) for i in invitees]
    if request.method == "GET":
        form.attendees.data = [i.user_id for i in invitees]
        form.version.data = str(meeting.version)
    status = 200
    if form.validate_on_submit():
        data = summary.FinaliseData(
            seen=form.seen.data or "",
            need=form.need.data or "",
            attendee_ids=frozenset(a for a in form.attendees.data or () if a is not None),
        )
        try:
            summary.finalise(db.session, seat, meeting, data, version=form.version.data)
        except StaleEditError as stale:
            db.session.rollback()
            meeting = _meeting(seat, meeting_id)
            show_refusal(form, stale)
            form.version.data = str(meeting.version)
            status = 409
        except RefusedError as refused:
            db.session.rollback()
            meeting = _meeting(seat, meeting_id)
            show_refusal(form, refused)
            status = 400
        else:
            db.session.commit()
            flash(_("The meeting is finalised and its summary is issued."), "success")
            return _to_meeting(meeting)
    elif request.method == "POST":
        status = 400
    return render_template(
        "meetings/finalise.html",
        child=seat.child,
        meeting=meeting,
        form=form,
        finalised=meeting.is_finalised,
        begun=meeting.starts_at <= utcnow(),
    ), status


@bp.route("/children/<int:child_id>/meetings/<int:meeting_id>/addendum", methods=["GET", "POST"])
@routes.for_child(Action.PLAN_MEETING)
def addendum(seat: Seat, meeting_id: int) -> Any:
    meeting = _meeting(seat, meeting_id)
    form = AddendumForm()
    if form.validate_on_submit():
        ok, _made = attempt(
            form, lambda: summary.add_addendum(db.session, seat, meeting, form.text.data or "")
        )
        if ok:
            flash(_("The addendum is added and a new summary is issued."), "success")
            return _to_meeting(meeting)
        meeting = _meeting(seat, meeting_id)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "meetings/addendum.html",
        child=seat.child,
        meeting=meeting,
        form=form,
        current=summary.current_summary(db.session, meeting),
    ), status


@bp.get("/children/<int:child_id>/meetings/<int:meeting_id>/summary")
@routes.for_child(Action.VIEW_MEETINGS)
def summary_page(seat: Seat, meeting_id: int) -> Any:
    seen = queries.meeting_or_404(db.session, seat, meeting_id)
    meeting = seen.meeting
    current = summary.current_summary(db.session, meeting)
    if current is None:
        return render_template("meetings/no_summary.html", child=seat.child, meeting=meeting), 409
    return render_template(
        "meetings/summary.html",
        child=seat.child,
        **summary.page_values(db.session, meeting, current),
        **acknowledgement.parts_for(seat, seen, current, db.session),
    )


@bp.get("/children/<int:child_id>/meetings/<int:meeting_id>/summary.pdf")
@routes.for_child(Action.VIEW_MEETINGS)
def summary_pdf(seat: Seat, meeting_id: int) -> Any:
    meeting = _meeting(seat, meeting_id)
    number = request.args.get("number", type=int)
    current = summary.current_summary(db.session, meeting)
    if current is None:
        return render_template("meetings/no_summary.html", child=seat.child, meeting=meeting), 409
    found = summary.summary_or_404(db.session, meeting, number)
    document = summary.document_of(db.session, found)
    if document is None:
        return render_template("meetings/no_summary.html", child=seat.child, meeting=meeting), 409
    audit.record(
        db.session,
        "document_downloaded",
        actor=seat.user,
        child=seat.child,
        obj=document,
        data={"kind": document.kind.value, "summary": found.id},
    )
    db.session.commit()
    return send_document(document)


@bp.route(
    "/children/<int:child_id>/meetings/<int:meeting_id>/summary/acknowledge",
    methods=["GET", "POST"],
)
@routes.for_child(Action.ACKNOWLEDGE_SUMMARY)
def acknowledge(seat: Seat, meeting_id: int) -> Any:
    seen = queries.meeting_or_404(db.session, seat, meeting_id)
    meeting = seen.meeting
    if not acknowledgement.may_acknowledge(seat, seen):
        raise ForbiddenError("not_invited_to_meeting")
    current = summary.current_summary(db.session, meeting)
    if current is None:
        return render_template("meetings/no_summary.html", child=seat.child, meeting=meeting), 409
    form = AcknowledgeForm()
    shown = current  # the summary the form was opened on, as it says
    if request.method == "POST":
        shown = next(
            (
                s
                for s in summary.summaries_of(db.session, meeting)
                if str(s.id) == form.summary_id.data
            ),
            current,
        )
    outcome = sign_with_form(
        form,
        acknowledgement.ACK_FORM,
        {"child": seat.child.id, "user": seat.user.id, "meeting": meeting.id},
        conflict=lambda: acknowledgement.REPLACED if shown.id != current.id else None,
        store=lambda opened: acknowledgement.acknowledge(
            db.session,
            seat,
            seen,
            shown,
            acknowledgement.AckData(
                agrees=form.answer.data != "comment",
                comment=form.comment.data or "",
                typed_name=form.typed_name.data or "",
            ),
            opened=opened,
            evidence=evidence_from_request(),
        ),
        done=url_for("meetings.summary_page", child_id=seat.child.id, meeting_id=meeting.id)
        + "#acknowledgement",
        signed=_("Thank you. Your acknowledgement is signed and saved."),
    )
    if outcome.response is not None:
        return outcome.response
    form.summary_id.data = str(current.id)
    return render_template(
        "meetings/acknowledge.html",
        child=seat.child,
        meeting=meeting,
        summary=current,
        form=form,
        document=summary.document_of(db.session, current),
    ), outcome.status
