"""Forms of meeting mode: the notes of one agenda item and the attendance of the invitees.

Which moment may be cited and who may be marked present is the service's decision
(``app.meetings.services.notes``): the fields take any value and leave the check to it.
"""

from __future__ import annotations

from typing import NamedTuple

from flask import current_app
from flask_wtf.csrf import generate_csrf
from wtforms import HiddenField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.core.forms import PortalForm, max_length, plain_text
from app.core.i18n import lazy_gettext as _l
from app.meetings.services.notes import NOTES_MAX

SEEN_LABEL = _l("What do we see?")
MOMENT_LABEL = _l("Moment that shows it (optional)")
PRESENT_LABEL = _l("Who is here")
NOTES_ROWS = 4


class ItemNotesForm(PortalForm):
    """One agenda item's notes; built with ``prefix=f"item-{id}"``. The view names the need
    after the child. A step draws the form by hand from :func:`notes_fields` (the same
    HTML, tests/meetings/test_page_rows.py), and through this class only when it is sent
    back with its text and errors."""

    seen = TextAreaField(
        SEEN_LABEL,
        validators=[plain_text(), max_length(NOTES_MAX)],
        render_kw={"rows": NOTES_ROWS},
    )
    need = TextAreaField(
        _l("What does the child need?"),
        validators=[plain_text(), max_length(NOTES_MAX)],
        render_kw={"rows": NOTES_ROWS},
    )
    moment = SelectField(MOMENT_LABEL, validate_choice=False, validators=[Optional()])
    version = HiddenField()


class NotesFields(NamedTuple):
    """What the notes form drawn by hand shows besides its values, in the page's language:
    its labels, size, limit and the page's form token (None where forms carry none)."""

    seen: str
    need: str
    moment: str
    rows: int
    max: int
    token: str | None


def form_token() -> str | None:
    """The page's form token, as every PortalForm carries it; None with CSRF switched off
    (tests). The same as ``parts.page_token`` of a form, without building one."""
    return generate_csrf() if current_app.config.get("WTF_CSRF_ENABLED", True) else None


def notes_fields(need_label: str) -> NotesFields:
    """The notes form's fields for a step, the need named ``need_label``."""
    return NotesFields(
        str(SEEN_LABEL), need_label, str(MOMENT_LABEL), NOTES_ROWS, NOTES_MAX, form_token()
    )


class AttendanceForm(PortalForm):
    present = SelectMultipleField(
        PRESENT_LABEL,
        coerce=int,
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    # Sent by the page's form: an empty POST is not "nobody came".
    marked = HiddenField()
