"""Forms of the support plan: the parts that are one text, an item of a part, adopting a
source, and a parent's own view. Whether a date fits the plan is the services' decision."""

from __future__ import annotations

from wtforms import HiddenField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional

from app.core.forms import PortalForm, max_length, one_line, plain_text, required
from app.core.i18n import lazy_gettext as _l
from app.core.signing import SignatureForm
from app.meetings.forms_followup import DueDateField
from app.plans.labels import PART_LABELS

TEXT_MAX = 4000
ITEM_MAX = 2000


def _date_field(label: object, *, optional: bool = False, **kwargs: object) -> DueDateField:
    validators = (
        [Optional()] if optional else [InputRequired(message=_l("Please fill in this field."))]
    )
    return DueDateField(
        label, validators=validators, format="%Y-%m-%d", render_kw={"type": "date"}, **kwargs
    )


def _text(label: object, description: object | None = None, rows: int = 3) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[Optional(), plain_text(), max_length(TEXT_MAX)],
        description=description or "",
        render_kw={"rows": rows},
    )


class PartsForm(PortalForm):
    plan_date = _date_field(_l("Date of the plan"))
    exit_profile = StringField(
        _l("Expected exit destination"),
        validators=[Optional(), one_line(), max_length(200)],
        description=_l("The school or kind of education the child is expected to go on to."),
    )
    exit_reasoning = _text(_l("Reasoning"), _l("Why this destination is expected."))
    deviation = _text(
        _l("Deviation from the regular programme"),
        _l("Leave empty when the child follows the regular programme."),
    )
    evaluation = _text(_l("Evaluation"), _l("How the plan went, evaluated with the parents."))
    pupil_view = _text(_l("The pupil's own view"), _l("In the pupil's own words."))
    consulted_on = _date_field(_l("Consultation with the parents"), optional=True)
    edit_count = HiddenField()


class ItemForm(PortalForm):
    part = SelectField(
        _l("Part"),
        choices=[SelectChoice(p.value, label) for p, label in PART_LABELS.items()],
        validate_choice=False,
    )
    text = TextAreaField(
        _l("Text"),
        validators=[required(), plain_text(), max_length(ITEM_MAX)],
        description=_l("Write a need as: [name] needs …"),
        render_kw={"rows": 2},
        id="item-text",
    )
    target_on = _date_field(_l("Target date (goals)"), optional=True)
    who = StringField(
        _l("Who does it (goals and approach)"),
        validators=[Optional(), one_line(), max_length(120)],
    )


class AdoptForm(PortalForm):
    """Sent by the "Adopt into the plan" buttons on meeting, meeting mode and clip pages."""

    kind = HiddenField(validators=[required(), one_line(), max_length(20)])
    source_id = HiddenField(validators=[required(), one_line(), max_length(12)])


class ViewForm(PortalForm):
    text = TextAreaField(
        _l("Your view of the plan"),
        validators=[required(), plain_text(), max_length(TEXT_MAX)],
        description=_l("In your own words: the coach reads it, and it goes with the next version."),
        render_kw={"rows": 5},
        id="view-text",
    )


class AnswerForm(SignatureForm):
    """A guardian's (or the pupil's) answer on the action part of the version shown."""

    version_id = HiddenField()
    answer = RadioField(
        _l("Your answer on the action part"),
        choices=[
            SelectChoice("agree", _l("I agree with the action part of this plan")),
            SelectChoice("decline", _l("I do not agree with the action part")),
        ],
        default="agree",
        validate_choice=False,
    )
    reason = TextAreaField(
        _l("Why you do not agree"),
        validators=[Optional(), plain_text(), max_length(TEXT_MAX)],
        description=_l("Needed when you do not agree. The coach reads it and contacts you."),
        render_kw={"rows": 3},
    )
