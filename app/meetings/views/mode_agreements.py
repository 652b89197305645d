"""Agreements made, taken back and reviewed in meeting mode: the same steps as on the
meeting's page (``views/agreement_steps.py``), the same rule (only who leads meetings, the
coach), and back to meeting mode afterwards; a refused form shows meeting mode again with
why beside it."""

from __future__ import annotations

from typing import Any

from flask import redirect

from app.circle import routes
from app.circle.policy import Action, Seat
from app.core.db import db
from app.meetings import bp
from app.meetings.forms_followup import AgreementForm, ReviewForm
from app.meetings.services import agreements, queries
from app.meetings.views import agreement_steps as steps
from app.meetings.views.mode import MODE, mode_page, mode_url


@bp.post(MODE + "/agreements")
@routes.for_child(Action.PLAN_MEETING)
def mode_add_agreement(seat: Seat, meeting_id: int) -> Any:
    meeting = queries.meeting_or_404(db.session, seat, meeting_id).meeting
    form = AgreementForm()
    if steps.record_agreement(seat, meeting, form):
        return redirect(mode_url(meeting) + "#agreements")
    return mode_page(seat, meeting, agreement_form=form), 400


@bp.post(MODE + "/agreements/<int:agreement_id>/review")
@routes.for_child(Action.PLAN_MEETING)
def mode_review_agreement(seat: Seat, meeting_id: int, agreement_id: int) -> Any:
    meeting = queries.meeting_or_404(db.session, seat, meeting_id).meeting
    agreement = agreements.in_meeting_or_404(db.session, meeting, agreement_id)
    form = ReviewForm(prefix=f"review-{agreement_id}")
    status = steps.record_review(seat, meeting, agreement, form)
    if status == 200:
        return redirect(mode_url(meeting) + f"#agreement-{agreement_id}")
    return mode_page(seat, meeting, review_forms={agreement_id: form}), status


@bp.post(MODE + "/agreements/<int:agreement_id>/remove")
@routes.for_child(Action.PLAN_MEETING)
def mode_remove_agreement(seat: Seat, meeting_id: int, agreement_id: int) -> Any:
    meeting = queries.meeting_or_404(db.session, seat, meeting_id).meeting
    steps.take_back(seat, meeting, agreement_id)
    return redirect(mode_url(meeting) + "#agreements")
