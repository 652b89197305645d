"""Parts of the meeting's page that come from the follow-up: the agreements made there, the
earlier ones it reviews, and its summaries (``followup_parts``), handed to
``meetings/show.html``; meeting mode shows the agreements part too (``agreement_parts``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

from markupsafe import Markup
from sqlalchemy import Row
from wtforms import SelectChoice

from app.circle.policy import Action, Seat
from app.core import i18n
from app.core.db import db, utcnow
from app.core.forms import PortalForm
from app.core.holes import esc_all
from app.core.templating import id_url
from app.meetings import bp
from app.meetings.forms_followup import (
    PARTY_LABELS,
    STATUS_LABELS,
    TEXT_MAX,
    AgreementForm,
    ReviewForm,
)
from app.meetings.mode_forms import form_token
from app.meetings.models import Meeting
from app.meetings.services import agreement_rows, summary
from app.meetings.views.agreement_html import HOLES, AgreementRows
from app.meetings.views.agreement_lines import agreement_lines

bp.add_app_template_global(lambda party: str(PARTY_LABELS[party]), "agreement_party_label")
bp.add_app_template_global(lambda status: str(STATUS_LABELS[status]), "agreement_status_label")


class ReviewFields(NamedTuple):
    """What every review row's fields show, in the page's language: worked out once."""

    status_label: str
    statuses: list[tuple[str, str]]
    note_label: str
    note_max: int
    note_rows: int


def _escaped(choices: list[tuple[Any, str]]) -> list[tuple[Any, str, str]]:
    """``choices`` (value, label) with the value and the label escaped too, in one pass."""
    n = len(choices)
    escaped = esc_all([*[str(value) for value, _ in choices], *[label for _, label in choices]])
    return [
        (value, v, label)
        for (value, _), v, label in zip(choices, escaped[:n], escaped[n:], strict=True)
    ]


def _choices(escaped: list[tuple[Any, str, str]], selected: Any = None) -> Markup:
    """The ``<option>`` elements of ``escaped`` choices (value, value escaped, label
    escaped), ``selected`` chosen, as ``render_field`` writes a select's
    (app.core.widgets)."""
    return Markup(  # noqa: S704 - escaped
        "".join(
            [
                f'<option {"selected " if value == selected else ""}value="{v}">{label}</option>'
                for value, v, label in escaped
            ]
        )
    )


def _options(
    escaped: list[tuple[str, str, str]], listed: list[Row[Any]]
) -> dict[str | None, Markup]:
    """The ``<option>`` elements of the status (``escaped`` choices), by the status chosen
    (None: none), for the statuses the reviews of ``listed`` chose (a few of them)."""
    chosen = {None, *[a.review_status for a in listed if a.review_id is not None]}
    return {selected: _choices(escaped, selected) for selected in chosen}


def review_fields() -> ReviewFields:
    """What every review row's fields show, from the review form's fields (the class's: no
    form is built for the rows drawn by hand), in the request's language."""
    return _review_words(str(i18n.locale()))[0]


@lru_cache(maxsize=16)
def _review_words(language: str) -> tuple[ReviewFields, list[tuple[str, str, str]]]:
    """:func:`review_fields` in ``language``, the request's, and its statuses escaped
    (:func:`_escaped`): the same for every page in that language."""
    status, note = ReviewForm.status, ReviewForm.note
    fields = ReviewFields(
        str(status.args[0]),
        [(c.value, str(c.label)) for c in status.kwargs["choices"]],
        str(note.args[0]),
        TEXT_MAX,
        note.kwargs["render_kw"]["rows"],
    )
    return fields, _escaped(fields.statuses)


class _NoErrors(NamedTuple):
    errors: dict[str, Any]
    form_errors: list[str]


#: What ``form_errors`` reads of a form with no errors, where no form is built: attributes,
#: as a form has them (a template's ``form.errors`` of a dictionary tries the attribute,
#: fails and then looks the key up).
NO_ERRORS = _NoErrors({}, [])


class NewAgreementFields(NamedTuple):
    """The new agreement's form drawn by hand (nothing sent back): its labels, the text's
    size and limit, and the options of the party and the owner (the person at the page
    chosen), in the page's language; ``render_field``'s HTML (tests/meetings/test_page_rows.py)."""

    text_label: str
    text_rows: int
    text_max: int
    party_label: str
    parties: Markup
    owner_label: str
    owners: Markup
    due_label: str


def new_agreement_fields(
    seat: Seat, circle: list[Any] | None = None, language: str | None = None
) -> NewAgreementFields:
    """:class:`NewAgreementFields` from the agreement form's fields (the class's) and the
    child's circle now (``owner_choices``, or the rows of ``queries.circle_at`` when the
    page has them)."""
    language = language or str(i18n.locale())
    text_label, party_label, parties, owner_label, due_label = _agreement_words(language)
    if circle is None:
        owners = agreement_rows.owner_choices(db.session, seat)
    else:
        owners = agreement_rows.owners_in(circle)
    return NewAgreementFields(
        text_label,
        AgreementForm.text.kwargs["render_kw"]["rows"],
        TEXT_MAX,
        party_label,
        _choices(parties),
        owner_label,
        _choices(_escaped(owners), seat.user.id),
        due_label,
    )


@lru_cache(maxsize=16)
def _agreement_words(language: str) -> tuple[str, str, list[tuple[Any, str, str]], str, str]:
    """The agreement form's labels in ``language``, the request's, and its parties escaped
    (:func:`_escaped`): the same for every page in that language."""
    form = AgreementForm
    return (
        str(form.text.args[0]),
        str(form.party.args[0]),
        _escaped([(c.value, str(c.label)) for c in form.party.kwargs["choices"]]),
        str(form.owner.args[0]),
        str(form.due_on.args[0]),
    )


def page_token(form: PortalForm) -> str | None:
    """The page's form token, for the rows a template draws by hand (named after each row's
    form, as its prefix names it); ``None`` where forms carry none (CSRF switched off)."""
    return form.csrf_token.current_token if form.meta.csrf else None


def owner_choices(seat: Seat, form: AgreementForm) -> None:
    """Who the agreement form offers as owner: the child's circle now."""
    form.owner.choices = [
        SelectChoice(user_id, name)
        for user_id, name in agreement_rows.owner_choices(db.session, seat)
    ]


def agreement_parts(
    seat: Seat,
    meeting: Meeting,
    *,
    agreement_form: AgreementForm | None = None,
    review_forms: dict[int, ReviewForm] | None = None,
    in_mode: bool = False,
    circle: list[Any] | None = None,
) -> dict[str, Any]:
    """What ``meetings/_agreements.html`` shows: the agreements made in ``meeting``, the
    earlier ones it reviews (with a form each for the coach while the meeting is open), and
    a form for a new agreement. ``in_mode`` points the forms at meeting mode's routes, so
    that a save there comes back to meeting mode.

    ``agreement_form`` and ``review_forms`` are the forms sent back (with their errors);
    every other form is drawn by hand from plain values: the labels and choices of the
    forms' fields (``new_agreement``, ``review_fields``), each review from the agreement and
    its review, and the page's form token (a WTForms form per row cost most of the page, and
    a form built for its labels alone a good part of what was left)."""
    # A state is a StrEnum: equal to its value.
    leads = seat.may(Action.PLAN_MEETING) and meeting.state in ("planned", "held")
    made, listed = agreement_rows.made_and_to_review(db.session, meeting)
    to = "meetings.mode_" if in_mode else "meetings."
    ids = {"child_id": meeting.child_id, "meeting_id": meeting.id}
    language = str(i18n.locale())  # the request's, said once for the part's words
    lines = agreement_lines(seat, made, listed, language)
    agreement_address = id_url("meetings.agreement", "agreement_id", child_id=meeting.child_id)
    parts = {
        "agreements_made": made,
        "lines": lines,
        "to_review": listed,
        "leads_meeting": leads,
        "in_mode": in_mode,
        # The plan's "Adopt" button beside an agreement and a need (a route of the plans
        # feature).
        "can_adopt": seat.may(Action.EDIT_PLAN),
        "agreement_address": agreement_address,
        "holes": HOLES,
        "no_errors": NO_ERRORS,
    }
    if not leads:  # no forms: the agreements are only read
        rows = AgreementRows(made, listed, lines, agreement_address, "", "", {}, {})
        return parts | {"rows": rows}
    new_fields = None
    if agreement_form is None:  # drawn by hand: no form built
        new_fields = new_agreement_fields(seat, circle, language)
    else:  # sent back, with what was sent and its errors
        owner_choices(seat, agreement_form)
        if agreement_form.owner.data is None and not agreement_form.errors:
            agreement_form.owner.data = seat.user.id
        if in_mode:  # the key a goes to it there (static/js/meeting-mode.js)
            kw = agreement_form.text.render_kw or {}
            agreement_form.text.render_kw = {**kw, "aria-keyshortcuts": "a"}
    fields, statuses = _review_words(language)
    remove_address = id_url(to + "remove_agreement", "agreement_id", **ids)
    review_address = id_url(to + "review_agreement", "agreement_id", **ids)
    rows = AgreementRows(
        made,
        listed,
        lines,
        agreement_address,
        remove_address,
        review_address,
        _options(statuses, listed),
        review_forms or {},
    )
    return parts | {
        "rows": rows,
        "agreement_form": agreement_form,
        "new_agreement": new_fields,
        "review_forms": review_forms or {},
        "review_fields": fields,
        "form_token": form_token(),
        "add_agreement_to": to + "add_agreement",
        "review_address": review_address,
        "remove_address": remove_address,
    }


def followup_parts(
    seat: Seat,
    meeting: Meeting,
    *,
    agreement_form: AgreementForm | None = None,
    review_forms: dict[int, ReviewForm] | None = None,
    circle: list[Any] | None = None,
) -> dict[str, Any]:
    """What the meeting's page shows of the follow-up: the agreements part
    (:func:`agreement_parts`; ``circle``: the rows of ``queries.circle_at``, when the page
    has them) and the meeting's summaries."""
    # Only finalising issues a summary, and a finalised meeting stays so: no other has any.
    summaries = summary.summaries_of(db.session, meeting) if meeting.is_finalised else []
    return {
        "summaries": summaries,
        "may_finalise": seat.may(Action.PLAN_MEETING)
        and meeting.state in ("planned", "held")
        and meeting.starts_at <= utcnow(),
        "may_addendum": seat.may(Action.PLAN_MEETING) and meeting.is_finalised,
        **agreement_parts(
            seat, meeting, agreement_form=agreement_form, review_forms=review_forms, circle=circle
        ),
    }
