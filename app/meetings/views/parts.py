"""Parts of the meeting's page that come from the follow-up: the agreements made there, the
earlier ones it reviews, and its summaries (``followup_parts``), handed to
``meetings/show.html``; meeting mode shows the agreements part too (``agreement_parts``)."""

from __future__ import annotations

from typing import Any

from wtforms import SelectChoice

from app.circle.policy import Action, Seat
from app.core.clock import local_date
from app.core.db import db, utcnow
from app.core.forms import ConfirmForm
from app.meetings import bp
from app.meetings.forms_followup import PARTY_LABELS, STATUS_LABELS, AgreementForm, ReviewForm
from app.meetings.models import Meeting
from app.meetings.services import agreements, summary

bp.add_app_template_global(lambda party: str(PARTY_LABELS[party]), "agreement_party_label")
bp.add_app_template_global(lambda status: str(STATUS_LABELS[status]), "agreement_status_label")


def owner_choices(seat: Seat, form: AgreementForm) -> None:
    """Who the agreement form offers as owner: the child's circle now."""
    form.owner.choices = [
        SelectChoice(m.user_id, m.user.name) for m in agreements.owners_for(db.session, seat)
    ]


def agreement_parts(
    seat: Seat,
    meeting: Meeting,
    *,
    agreement_form: AgreementForm | None = None,
    review_forms: dict[int, ReviewForm] | None = None,
    in_mode: bool = False,
) -> dict[str, Any]:
    """What ``meetings/_agreements.html`` shows: the agreements made in ``meeting``, the
    earlier ones it reviews (with a form each for the coach while the meeting is open), and
    a form for a new agreement. ``in_mode`` points the forms at meeting mode's routes, so
    that a save there comes back to meeting mode."""
    leads = seat.may(Action.PLAN_MEETING) and meeting.state.value in ("planned", "held")
    form = agreement_form or AgreementForm()
    if leads:
        owner_choices(seat, form)
        if form.owner.data is None and not form.errors:
            form.owner.data = seat.user.id
        if in_mode:  # the key a goes to it there (static/js/meeting-mode.js)
            form.text.render_kw = {**(form.text.render_kw or {}), "aria-keyshortcuts": "a"}
    listed = agreements.to_review(db.session, meeting)
    forms = dict(review_forms or {})
    if leads:
        for entry in listed:
            if entry.agreement.id not in forms:
                each = ReviewForm(prefix=f"review-{entry.agreement.id}", formdata=None)
                each.status.data = entry.review.status.value if entry.review else None
                each.note.data = entry.review.note if entry.review else ""
                each.version.data = str(entry.agreement.version)
                forms[entry.agreement.id] = each
    made = agreements.made_in(db.session, meeting)
    today = local_date()
    overdue = {
        a.id
        for a in [*made, *(entry.agreement for entry in listed)]
        if agreements.overdue_for(seat, a, today)
    }
    return {
        "agreements_made": made,
        "overdue": overdue,
        "to_review": listed,
        "agreement_form": form,
        "review_forms": forms,
        "leads_meeting": leads,
        "remove_form": ConfirmForm(),
        "in_mode": in_mode,
        "add_agreement_to": "meetings.mode_add_agreement" if in_mode else "meetings.add_agreement",
        "review_to": "meetings.mode_review_agreement" if in_mode else "meetings.review_agreement",
        "remove_to": "meetings.mode_remove_agreement" if in_mode else "meetings.remove_agreement",
        # The plan's "Adopt" button beside an agreement and a need (a route of the plans
        # feature).
        "can_adopt": seat.may(Action.EDIT_PLAN),
    }


def followup_parts(
    seat: Seat,
    meeting: Meeting,
    *,
    agreement_form: AgreementForm | None = None,
    review_forms: dict[int, ReviewForm] | None = None,
) -> dict[str, Any]:
    """What the meeting's page shows of the follow-up: the agreements part
    (:func:`agreement_parts`) and the meeting's summaries."""
    summaries = summary.summaries_of(db.session, meeting)
    return {
        "summaries": summaries,
        "may_finalise": seat.may(Action.PLAN_MEETING)
        and meeting.state.value in ("planned", "held")
        and meeting.starts_at <= utcnow(),
        "may_addendum": seat.may(Action.PLAN_MEETING) and meeting.is_finalised,
        **agreement_parts(seat, meeting, agreement_form=agreement_form, review_forms=review_forms),
    }
