"""Agreement pages: making an agreement on the meeting's page, reviewing earlier ones there,
the child's agreements, and one agreement with its history across meetings."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for

from app.circle import routes
from app.circle.policy import Action, Seat
from app.core import paging
from app.core.clock import local_date
from app.core.db import db
from app.core.errors import NotFoundError
from app.meetings import bp
from app.meetings.forms_followup import AgreementForm, ReviewForm
from app.meetings.models import Meeting
from app.meetings.services import agreements, lists, queries
from app.meetings.views import agreement_steps as steps
from app.meetings.views import list_rows
from app.meetings.views.planning import meeting_page

PER_PAGE = 20


def _seen(seat: Seat, meeting_id: int) -> queries.SeenMeeting:
    return queries.meeting_or_404(db.session, seat, meeting_id)


def _to_meeting(meeting: Meeting, anchor: str) -> Any:
    return redirect(
        url_for("meetings.show", child_id=meeting.child_id, meeting_id=meeting.id) + anchor
    )


@bp.post("/children/<int:child_id>/meetings/<int:meeting_id>/agreements")
@routes.for_child(Action.PLAN_MEETING)
def add_agreement(seat: Seat, meeting_id: int) -> Any:
    seen = _seen(seat, meeting_id)
    form = AgreementForm()
    if steps.record_agreement(seat, seen.meeting, form):
        return _to_meeting(seen.meeting, "#agreements")
    return meeting_page(seat, seen, agreement_form=form), 400


@bp.post("/children/<int:child_id>/meetings/<int:meeting_id>/agreements/<int:agreement_id>/remove")
@routes.for_child(Action.PLAN_MEETING)
def remove_agreement(seat: Seat, meeting_id: int, agreement_id: int) -> Any:
    meeting = _seen(seat, meeting_id).meeting
    steps.take_back(seat, meeting, agreement_id)
    return _to_meeting(meeting, "#agreements")


@bp.post("/children/<int:child_id>/meetings/<int:meeting_id>/agreements/<int:agreement_id>/review")
@routes.for_child(Action.PLAN_MEETING)
def review_agreement(seat: Seat, meeting_id: int, agreement_id: int) -> Any:
    seen = _seen(seat, meeting_id)
    meeting = seen.meeting
    agreement = agreements.in_meeting_or_404(db.session, meeting, agreement_id)
    form = ReviewForm(prefix=f"review-{agreement_id}")
    status = steps.record_review(seat, meeting, agreement, form)
    if status == 200:
        return _to_meeting(meeting, f"#agreement-{agreement_id}")
    return meeting_page(seat, seen, review_forms={agreement_id: form}), status


@bp.get("/children/<int:child_id>/agreements")
@routes.for_child(Action.VIEW_MEETINGS)
def agreement_list(seat: Seat) -> Any:
    number = paging.page_number(request.args.get("page"))
    page = lists.agreements_page(db.session, seat, number, PER_PAGE)
    address = paging.address_of_items("meetings.agreement", "agreement_id", child_id=seat.child.id)
    return render_template(
        "meetings/agreements.html",
        child=seat.child,
        page=page,
        rows=list_rows.AgreementListRows(list(page.items), address, local_date(), seat),
        holes=list_rows.HOLES,
    )


@bp.get("/children/<int:child_id>/agreements/<int:agreement_id>")
@routes.for_child(Action.VIEW_MEETINGS)
def agreement(seat: Seat, agreement_id: int) -> Any:
    found = agreements.agreement_or_404(db.session, seat, agreement_id)
    return render_template(
        "meetings/agreement.html",
        child=seat.child,
        agreement=found,
        history=agreements.history(db.session, found),
        overdue=agreements.overdue_for(seat, found),
        sees_meeting=_sees(seat, found.meeting_id),
    )


def _sees(seat: Seat, meeting_id: int) -> bool:
    try:
        queries.meeting_or_404(db.session, seat, meeting_id)
    except NotFoundError:  # the link to the meeting is left out
        return False
    return True
