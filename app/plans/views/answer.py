"""A guardian's (or, from 16, the pupil's) signed answer on the action part of the version
in force: agreement, or a decline with a reason."""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for

from app.circle import policy, routes
from app.circle.policy import Action, Seat
from app.core.db import db
from app.core.i18n import gettext as _
from app.core.signing import evidence_from_request, sign_with_form
from app.plans import bp
from app.plans.forms import AnswerForm
from app.plans.services import answers, drafts
from app.plans.views.pages import version_parts


@bp.route(
    "/children/<int:child_id>/plan/versions/<int:plan_version_id>/answer",
    methods=["GET", "POST"],
)
@routes.for_child(Action.SIGN_PLAN, check=policy.answers_plan)
def answer(seat: Seat, plan_version_id: int) -> Any:
    shown = drafts.version_or_404(db.session, seat, plan_version_id)
    current = drafts.in_force(db.session, seat)
    form = AnswerForm()
    outcome = sign_with_form(
        form,
        answers.ANSWER_FORM,
        {"child": seat.child.id, "user": seat.user.id, "version": shown.id},
        # The version this form was opened on must still be the one in force.
        conflict=lambda: (
            answers.SUPERSEDED
            if current is None or current.id != shown.id or form.version_id.data != str(shown.id)
            else None
        ),
        store=lambda opened: answers.answer(
            db.session,
            seat,
            shown,
            answers.AnswerData(
                agrees=form.answer.data != "decline",
                reason=form.reason.data or "",
                typed_name=form.typed_name.data or "",
                signature=form.signature_value(),
            ),
            opened=opened,
            evidence=evidence_from_request(),
        ),
        done=url_for("plans.show", child_id=seat.child.id) + "#answers",
        signed=_("Thank you. Your answer is signed and saved."),
    )
    if outcome.response is not None:
        return outcome.response
    status = outcome.status
    if request.method == "GET":
        form.version_id.data = str(shown.id)
    elif status == 200:
        status = 400  # shown again with why: bad input, nothing stored
    return render_template(
        "plans/answer.html",
        child=seat.child,
        form=form,
        current=current,
        mine=answers.answer_of(db.session, shown, seat.user),
        **version_parts(seat, shown),
    ), status
