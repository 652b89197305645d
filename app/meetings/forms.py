"""Forms for planning a meeting, its agenda and the questions people bring to it.

Which invitees, fragments and moments may be chosen is the services' decision (they refuse
anyone outside the circle and a fragment of another child with a clear message): the fields
take any value and leave the check to them.
"""

from __future__ import annotations

from wtforms import (
    DateField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Optional

from app.core.forms import PortalForm, max_length, one_line, plain_text, required
from app.core.i18n import lazy_gettext as _l
from app.meetings.models import MeetingKind

KIND_LABELS = {
    MeetingKind.INTAKE: _l("Intake"),
    MeetingKind.SHARED_REVIEW: _l("Shared review"),
    MeetingKind.EVALUATION: _l("Evaluation"),
    MeetingKind.CLOSING: _l("Closing meeting"),
}

PLACE_MAX = 300
QUESTION_MAX = 1000
NOTE_MAX = 4000
CONTRIBUTION_MAX = 2000


class ClockTimeField(TimeField):
    """A time of day as ``10:30``; anything else gets a message that says how to write it."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(_l("Enter a time like 10:30."))) from None


def _time_required() -> InputRequired:
    return InputRequired(message=_l("Please fill in this field."))


class MeetingForm(PortalForm):
    kind = SelectField(
        _l("Kind of meeting"),
        choices=[SelectChoice(kind.value, label) for kind, label in KIND_LABELS.items()],
        default=MeetingKind.SHARED_REVIEW.value,
    )
    day = DateField(
        _l("Date"), validators=[required()], format="%Y-%m-%d", render_kw={"type": "date"}
    )
    start = ClockTimeField(
        _l("Starts at"), validators=[_time_required()], render_kw={"type": "time"}
    )
    end = ClockTimeField(_l("Ends at"), validators=[_time_required()], render_kw={"type": "time"})
    place = StringField(
        _l("Place or call link"),
        validators=[required(), one_line(), max_length(PLACE_MAX)],
        description=_l("A room at school, an address, or the link of a video call."),
    )
    guiding_question = TextAreaField(
        _l("Guiding question for this meeting"),
        validators=[required(), plain_text(), max_length(QUESTION_MAX)],
        description=_l("The child's guiding question, unless this meeting has one of its own."),
        render_kw={"rows": 4},
    )
    invitees = SelectMultipleField(_l("Invite"), coerce=int, validate_choice=False)
    version = HiddenField()


class AgendaItemForm(PortalForm):
    pick = SelectField(_l("Fragment or moment"), validate_choice=False)
    pair = SelectField(
        _l("Watch beside it (optional)"),
        validate_choice=False,
        description=_l("A fragment from the other setting: one from home beside one from school."),
        validators=[Optional()],
    )
    prep_note = TextAreaField(
        _l("Preparation note (school team only)"),
        validators=[plain_text(), max_length(NOTE_MAX)],
        description=_l("Parents never see this note."),
        render_kw={"rows": 3},
    )


class PrepNoteForm(PortalForm):
    prep_note = TextAreaField(
        _l("Preparation note (school team only)"),
        validators=[plain_text(), max_length(NOTE_MAX)],
        description=_l("Parents never see this note."),
        render_kw={"rows": 5},
    )
    version = HiddenField()


class ContributionForm(PortalForm):
    text = TextAreaField(
        _l("Your question or observation"),
        validators=[required(), plain_text(), max_length(CONTRIBUTION_MAX)],
        description=_l(
            "For example: what you see at home. Everyone invited reads it, with your name."
        ),
        render_kw={"rows": 3},
    )


class CancelForm(PortalForm):
    version = HiddenField()
