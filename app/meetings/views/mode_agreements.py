"""Meeting mode's last step, the agreements (``views/mode_steps.py``): those made in the
meeting, a form for a new one, and the earlier ones to review. Made, taken back and reviewed
with the same steps as on the meeting's page (``views/agreement_steps.py``) and the same
rule (only who leads meetings, the coach); back to this step afterwards, and a refused form
shows the step again with why beside it."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template

from app.circle import routes
from app.circle.policy import Action, Seat
from app.core.db import db
from app.meetings import bp
from app.meetings.forms_followup import AgreementForm, ReviewForm
from app.meetings.mode_forms import AttendanceForm, form_token
from app.meetings.models import Meeting
from app.meetings.services import agreements, notes, queries
from app.meetings.views import agreement_steps as steps
from app.meetings.views import parts
from app.meetings.views.mode_steps import MODE, StepNav, attendance_parts, step_nav, step_url


@bp.get(MODE + "/agreements")
@routes.for_child(Action.RUN_MEETING)
def mode_agreements(seat: Seat, meeting_id: int) -> Any:
    return agreements_step(seat, queries.meeting_or_404(db.session, seat, meeting_id).meeting)


def agreements_step(
    seat: Seat,
    meeting: Meeting,
    *,
    nav: StepNav | None = None,
    attendance: AttendanceForm | None = None,
    **followup: Any,
) -> str:
    """The agreements' step; ``followup`` an agreement or review form sent back
    (``parts.agreement_parts``). Attendance is here only when it is the first step (no item
    shown), ``attendance`` its form sent back."""
    nav = step_nav(seat, meeting) if nav is None else nav
    return render_template(
        "meetings/mode.html",
        child=seat.child,
        meeting=meeting,
        item=None,
        writable=notes.is_writable(meeting),
        **nav.parts(None),
        **(attendance_parts(meeting, attendance, form_token()) if not nav.items else {}),
        **parts.agreement_parts(seat, meeting, in_mode=True, **followup),
    )


def _back(meeting: Meeting, anchor: str = "agreements") -> Any:
    return redirect(step_url(meeting, agreements=True) + f"#{anchor}")


@bp.post(MODE + "/agreements")
@routes.for_child(Action.PLAN_MEETING)
def mode_add_agreement(seat: Seat, meeting_id: int) -> Any:
    meeting = queries.meeting_or_404(db.session, seat, meeting_id).meeting
    form = AgreementForm()
    if steps.record_agreement(seat, meeting, form):
        return _back(meeting)
    return agreements_step(seat, meeting, agreement_form=form), 400


@bp.post(MODE + "/agreements/<int:agreement_id>/review")
@routes.for_child(Action.PLAN_MEETING)
def mode_review_agreement(seat: Seat, meeting_id: int, agreement_id: int) -> Any:
    meeting = queries.meeting_or_404(db.session, seat, meeting_id).meeting
    agreement = agreements.in_meeting_or_404(db.session, meeting, agreement_id)
    form = ReviewForm(prefix=f"review-{agreement_id}")
    status = steps.record_review(seat, meeting, agreement, form)
    if status == 200:
        return _back(meeting, f"agreement-{agreement_id}")
    return agreements_step(seat, meeting, review_forms={agreement_id: form}), status


@bp.post(MODE + "/agreements/<int:agreement_id>/remove")
@routes.for_child(Action.PLAN_MEETING)
def mode_remove_agreement(seat: Seat, meeting_id: int, agreement_id: int) -> Any:
    meeting = queries.meeting_or_404(db.session, seat, meeting_id).meeting
    steps.take_back(seat, meeting, agreement_id)
    return _back(meeting)
