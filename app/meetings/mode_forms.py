"""Forms of meeting mode: the notes of one agenda item and the attendance of the invitees.

Which moment may be cited and who may be marked present is the service's decision
(``app.meetings.services.notes``): the fields take any value and leave the check to it.
"""

from __future__ import annotations

from wtforms import HiddenField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.core.forms import PortalForm, max_length, plain_text
from app.core.i18n import lazy_gettext as _l
from app.meetings.services.notes import NOTES_MAX


class ItemNotesForm(PortalForm):
    """One agenda item's notes; built with ``prefix=f"item-{id}"`` so that every item's form
    on the page has fields of its own. The view names the need after the child."""

    seen = TextAreaField(
        _l("What do we see?"),
        validators=[plain_text(), max_length(NOTES_MAX)],
        render_kw={"rows": 4},
    )
    need = TextAreaField(
        _l("What does the child need?"),
        validators=[plain_text(), max_length(NOTES_MAX)],
        render_kw={"rows": 4},
    )
    moment = SelectField(
        _l("Moment that shows it (optional)"), validate_choice=False, validators=[Optional()]
    )
    version = HiddenField()


class AttendanceForm(PortalForm):
    present = SelectMultipleField(
        _l("Who is here"),
        coerce=int,
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    # Sent by the page's form: an empty POST is not "nobody came".
    marked = HiddenField()
