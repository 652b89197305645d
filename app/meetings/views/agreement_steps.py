"""The steps of making, taking back and reviewing an agreement from a posted form, shared by
the meeting's page (``views/agreements.py``) and meeting mode (``views/mode_agreements.py``):
each view loads the meeting, calls one of these, and then goes back to its own page or shows
it again.
"""

from __future__ import annotations

from flask import flash

from app.circle.policy import Seat
from app.core.concurrency import StaleEditError
from app.core.db import db
from app.core.errors import RefusedError
from app.core.forms import ConfirmForm, show_refusal
from app.core.i18n import gettext as _
from app.core.web import act
from app.meetings.forms_followup import AgreementForm, ReviewForm
from app.meetings.models import Meeting
from app.meetings.models_followup import Agreement
from app.meetings.services import agreements
from app.meetings.views.parts import owner_choices


def record_agreement(seat: Seat, meeting: Meeting, form: AgreementForm) -> bool:
    """Make the agreement ``form`` holds in ``meeting``, commit and flash that it is recorded.

    Returns False, nothing stored, when the form or the service refuses it: why is on the
    form (beside the field it names, else flashed too), the typed values kept, for the page
    shown again (400).
    """
    owner_choices(seat, form)
    if not form.validate_on_submit():
        return False
    data = agreements.AgreementData(
        text=form.text.data or "",
        party=form.party.data or "",
        owner_id=form.owner.data,
        due_on=form.due_on.data,
    )
    try:
        agreements.add_agreement(db.session, seat, meeting, data)
    except RefusedError as refused:
        db.session.rollback()
        _show(form, refused)
        return False
    db.session.commit()
    flash(_("The agreement is recorded."), "success")
    return True


def take_back(seat: Seat, meeting: Meeting, agreement_id: int) -> None:
    """Take back the agreement ``agreement_id`` made in ``meeting`` (the confirming form
    posted), commit and flash it; a refusal (a finalised meeting) is flashed, nothing
    changed. Raises NotFoundError for another child's agreement."""
    agreement = agreements.in_meeting_or_404(db.session, meeting, agreement_id)
    if ConfirmForm().validate_on_submit():
        act(
            lambda: agreements.remove_agreement(db.session, seat, meeting, agreement),
            _("The agreement is taken back."),
        )


def record_review(seat: Seat, meeting: Meeting, agreement: Agreement, form: ReviewForm) -> int:
    """Save the review ``form`` holds of ``agreement`` in ``meeting``, commit and flash it.

    Returns 200 when saved, otherwise the status of the page shown again with ``form``, its
    typed note kept: 409 when someone reviewed the agreement since the form was opened (the
    form's version moves on to theirs, so that saving again goes over it knowingly), 400 when
    refused (why on the form, a refusal naming no field flashed too).
    """
    if not form.validate_on_submit():
        return 400
    try:
        agreements.review(
            db.session,
            seat,
            meeting,
            agreement,
            status=form.status.data or "",
            note=form.note.data or "",
            version=form.version.data,
        )
    except StaleEditError as stale:
        db.session.rollback()
        show_refusal(form, stale)
        fresh = db.session.get(Agreement, agreement.id)
        form.version.data = str(fresh.version) if fresh is not None else ""
        return 409
    except RefusedError as refused:
        db.session.rollback()
        _show(form, refused)
        return 400
    db.session.commit()
    flash(_("The review is saved."), "success")
    return 200


def _show(form: AgreementForm | ReviewForm, refused: RefusedError) -> None:
    """Why the service refused, on the form; a refusal naming no field (a finalised or
    cancelled meeting) is flashed too: the page shown again has no form then."""
    show_refusal(form, refused)
    if refused.field is None:
        flash(str(refused.message), "error")
