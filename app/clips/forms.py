"""Forms of the clip page: a moment, a fragment, a school's own moment tag.

Forms parse and check the shape of the input; whether a time lies within the clip, and who
may choose which audience, is decided by the services and ``app.circle.policy``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Optional, StopValidation, ValidationError

from app.circle.audience import AUDIENCE_LABELS, Audience
from app.clips.models import Tag
from app.core.forms import PortalForm, max_length, one_line, plain_text, required
from app.core.i18n import lazy_gettext as _l
from app.core.text import has_control_characters
from app.core.timecode import format_time, parse_time

#: Longest note on a moment, and longest label of a school's own tag (the column's size).
NOTE_MAX = 2000
TAG_LABEL_MAX = 60
TITLE_MAX = 160

TAG_LABELS = {
    Tag.ATTENTIVE: _l("Being attentive"),
    Tag.ENCOURAGING_INITIATIVES: _l("Encouraging initiatives"),
    Tag.RECEIVING_INITIATIVES: _l("Receiving initiatives"),
    Tag.TURN_TAKING: _l("Attuned turn-taking"),
    Tag.GUIDING: _l("Guiding"),
    Tag.DEEPENING_DISCUSSION: _l("Deepening the discussion"),
    Tag.SUCCESS: _l("Moment of success"),
    Tag.NEED: _l("Need: what does the child need here?"),
}

#: The prefix of a school's own tag in a form's choices ("own-12"); the method's tags use
#: their enum value.
OWN_TAG_PREFIX = "own-"

#: The longest time anyone types: "10:59:59,999".
TIME_MAX = 12


def _unreadable_as_a_time(raw: str) -> bool:
    # Refused by _TypedTime with its own message, not with "write the time as".
    return len(raw) > TIME_MAX or has_control_characters(raw)


class TimeField(StringField):
    """A time in a video, typed as seconds or m:ss; ``data`` is the number of seconds."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["render_kw"] = {
            "inputmode": "decimal",
            "autocomplete": "off",
            "spellcheck": "false",
            "maxlength": TIME_MAX,
            **kwargs.get("render_kw", {}),
        }
        super().__init__(*args, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0] if isinstance(self.raw_data[0], str) else ""
        return format_time(self.data) if isinstance(self.data, float | int) else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        if not valuelist or not isinstance(valuelist[0], str) or not valuelist[0].strip():
            return
        if _unreadable_as_a_time(valuelist[0]):
            return
        try:
            self.data = parse_time(valuelist[0])
        except ValueError:
            raise ValueError(
                str(_l("Write the time as seconds (75) or minutes and seconds (1:15)."))
            ) from None


class _TypedTime:
    """What was typed in a time field (its data is a number): text, on one line, at most
    ``max`` characters."""

    def __init__(self, max: int = TIME_MAX) -> None:
        self.max = max  # the length cap, for anyone checking that every field has one

    def __call__(self, form: FlaskForm, field: Field) -> None:
        raw = field.raw_data[0] if field.raw_data else None
        if raw is None:
            return
        if not isinstance(raw, str):  # a file part sent under a time field's name
            raise StopValidation(str(_l("Send this field as text.")))
        if has_control_characters(raw):
            raise StopValidation(
                str(_l("Write this on one line, without line breaks or invisible characters."))
            )
        if len(raw) > self.max:
            raise StopValidation(str(_l("Use at most %(max)d characters.", max=self.max)))


def _required_time(form: FlaskForm, field: Field) -> None:
    if field.data is None and not field.errors:
        raise StopValidation(str(_l("Fill in a time, for example 1:15.")))


class _KnownChoice:
    """A choice among the field's own (a forged or stale value gets a clear message)."""

    def __init__(self, message: Any) -> None:
        self.message = message

    def __call__(self, form: FlaskForm, field: Field) -> None:
        known = {str(choice.value) for choice in field.choices}
        if not isinstance(field.data, str) or field.data not in known:
            raise StopValidation(str(self.message))


def _audience_field(id: str | None = None) -> RadioField:
    return RadioField(
        _l("Who sees it"),
        id=id,
        validators=[_KnownChoice(_l("Choose who sees it."))],
        validate_choice=False,
        default=Audience.TEAM.value,
    )


def audience_choices(
    audiences: tuple[Audience, ...], labels: Mapping[Audience, str] | None = None
) -> list[SelectChoice]:
    """The radio choices for the audiences a person may set (``settable_audiences``);
    ``labels``: the audiences' names when the page has them already."""
    return [SelectChoice(a.value, labels[a] if labels is not None else a.label) for a in audiences]


class MomentForm(PortalForm):
    """A moment at a time in the clip, with a tag, a note and an audience.

    Give ``tag_choices`` and ``audiences`` to the constructor: the school's tags and the
    audiences this person may choose.
    """

    start = TimeField(_l("Time"), validators=[_TypedTime(), _required_time])
    end = TimeField(
        _l("Until (optional)"),
        validators=[_TypedTime(), Optional()],
        description=_l("For a moment that lasts: when it ends."),
    )
    tag = SelectField(
        _l("Tag"),
        validators=[_KnownChoice(_l("Choose one of the tags in the list."))],
        validate_choice=False,
    )
    text = TextAreaField(
        _l("What do you see?"),
        validators=[plain_text(), max_length(NOTE_MAX)],
        render_kw={"rows": 3, "maxlength": NOTE_MAX},
    )
    audience = _audience_field()

    def __init__(
        self,
        *args: Any,
        tag_choices: list[tuple[str, Any]] | None = None,
        audiences: tuple[Audience, ...] = (),
        audience_labels: Mapping[Audience, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.tag.choices = [SelectChoice(value, label) for value, label in tag_choices or []]
        self.audience.choices = audience_choices(audiences, audience_labels)


class FragmentForm(PortalForm):
    """In and out points in a recording, and the new fragment's title and audience.

    Its fields have ids of their own: the moment form on the same page has a start, an end
    and an audience too.
    """

    start = TimeField(
        _l("In point"), validators=[_TypedTime(), _required_time], id="fragment-start"
    )
    end = TimeField(_l("Out point"), validators=[_TypedTime(), _required_time], id="fragment-end")
    title = StringField(
        _l("Title of the fragment"),
        validators=[required(), one_line(), max_length(TITLE_MAX)],
        render_kw={"maxlength": TITLE_MAX, "autocomplete": "off"},
    )
    audience = _audience_field(id="fragment-audience")

    def __init__(
        self,
        *args: Any,
        audiences: tuple[Audience, ...] = (),
        audience_labels: Mapping[Audience, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.audience.choices = audience_choices(audiences, audience_labels)


def _not_blank(form: FlaskForm, field: Field) -> None:
    if isinstance(field.data, str) and not field.data.strip():
        raise ValidationError(str(_l("Please fill in this field.")))


class MomentTagForm(PortalForm):
    """A label of the school's own for moments."""

    label = StringField(
        _l("New label"),
        validators=[required(), one_line(), max_length(TAG_LABEL_MAX), _not_blank],
        render_kw={"maxlength": TAG_LABEL_MAX, "autocomplete": "off"},
        description=_l("For example: naming feelings, or a goal from the support plan."),
    )


class AudienceForm(PortalForm):
    """Who sees a clip or a moment. Every audience is a valid answer here; which one this
    person may choose is the service's decision (a forged choice gets 403, not a form error)."""

    audience = RadioField(
        _l("Who may see it?"),
        choices=[SelectChoice(a.value, AUDIENCE_LABELS[a]) for a in Audience],
        validators=[required()],
    )
