"""Forms for agreements and their reviews, finalising a meeting, addenda and the parents'
acknowledgement of a summary. Who may be chosen as owner, and whether a date fits the
meeting, is the services' decision: the fields take any value and leave the check to them."""

from __future__ import annotations

from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Optional

from app.core.forms import PortalForm, max_length, one_line, plain_text, required
from app.core.i18n import lazy_gettext as _l
from app.meetings.models_followup import REVIEW_STATUSES, AgreementStatus, Party

PARTY_LABELS = {
    Party.SCHOOL: _l("School"),
    Party.HOME: _l("Home"),
    Party.COACH: _l("Coach"),
}

STATUS_LABELS = {
    AgreementStatus.OPEN: _l("Open"),
    AgreementStatus.DONE: _l("Done"),
    AgreementStatus.PARTLY: _l("Partly done"),
    AgreementStatus.NOT_DONE: _l("Not done"),
    AgreementStatus.DROPPED: _l("Dropped"),
}

TEXT_MAX = 2000


def _int_or_none(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


class DueDateField(DateField):
    """A date as the browser's date input sends it; anything else gets a clear message."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(_l("Enter a date like 2027-03-01."))) from None


class AgreementForm(PortalForm):
    text = TextAreaField(
        _l("What is agreed"),
        validators=[required(), plain_text(), max_length(TEXT_MAX)],
        render_kw={"rows": 3},
        id="agreement-text",  # the meeting page also has the question form's text
    )
    party = SelectField(
        _l("Party"),
        choices=[SelectChoice(p.value, label) for p, label in PARTY_LABELS.items()],
        validate_choice=False,
    )
    owner = SelectField(_l("Who sees to it"), coerce=_int_or_none, validate_choice=False)
    due_on = DueDateField(
        _l("Due date"),
        # InputRequired, not required(): that one would hide why "tomorrow" is no date.
        validators=[InputRequired(message=_l("Please fill in this field."))],
        format="%Y-%m-%d",
        render_kw={"type": "date"},
    )


class ReviewForm(PortalForm):
    status = SelectField(
        _l("How it went"),
        # Nothing chosen beforehand: a review is a decision, not a default.
        choices=[SelectChoice("", _l("Choose…"))]
        + [SelectChoice(s.value, STATUS_LABELS[s]) for s in REVIEW_STATUSES],
        validate_choice=False,
    )
    note = TextAreaField(
        _l("Note"),
        validators=[Optional(), plain_text(), max_length(TEXT_MAX)],
        render_kw={"rows": 2},
    )
    version = HiddenField()


NOTES_MAX = 8000


class FinaliseForm(PortalForm):
    seen = TextAreaField(
        _l("What did we see?"),
        validators=[required(), plain_text(), max_length(NOTES_MAX)],
        render_kw={"rows": 5},
    )
    need = TextAreaField(
        _l("What does the child need?"),
        validators=[required(), plain_text(), max_length(NOTES_MAX)],
        render_kw={"rows": 5},
    )
    attendees = SelectMultipleField(_l("Attended"), coerce=_int_or_none, validate_choice=False)
    version = HiddenField()


class AddendumForm(PortalForm):
    text = TextAreaField(
        _l("The correction"),
        validators=[required(), plain_text(), max_length(NOTES_MAX)],
        description=_l(
            "The summary stays as it was; this addendum is issued as a new summary that "
            "names the one it replaces."
        ),
        render_kw={"rows": 5},
    )


class AcknowledgeForm(PortalForm):
    """A parent's acknowledgement of a summary: read it, agree or add a comment, sign by
    typing their full name."""

    token = HiddenField()
    summary_id = HiddenField()
    answer = RadioField(
        _l("Your answer"),
        choices=[
            SelectChoice("agree", _l("I have read the summary and agree with it")),
            SelectChoice("comment", _l("I have read the summary and have a comment")),
        ],
        default="agree",
        validate_choice=False,
    )
    comment = TextAreaField(
        _l("Your comment"),
        validators=[Optional(), plain_text(), max_length(TEXT_MAX)],
        description=_l("The coach reads it, with your name."),
        render_kw={"rows": 3},
    )
    typed_name = StringField(
        _l("Your full name"),
        validators=[required(), one_line(), max_length(120)],
        description=_l("Typing your name counts as your signature."),
        render_kw={"autocomplete": "name"},
    )
