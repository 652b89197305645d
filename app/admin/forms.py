"""Forms of the school admin."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField

from app.core.forms import LANGUAGE_CHOICES, email_field, max_length, required


class StaffForm(FlaskForm):
    name = StringField(_l("Name"), validators=[required(), max_length(120)])
    email = email_field(_l("E-mail address"))
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    is_school_admin = BooleanField(
        _l("School admin"),
        description=_l("Manages staff accounts and consent texts. Sees no child's content."),
    )
