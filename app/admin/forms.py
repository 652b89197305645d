"""Forms of the school admin."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField

from app.core.forms import LANGUAGE_CHOICES, PortalForm, email_field, max_length, one_line, required


class StaffForm(PortalForm):
    name = StringField(
        _l("Name"),
        validators=[required(), one_line(), max_length(120)],
        render_kw={"autocomplete": "off"},
    )
    # A colleague's address: the browser should not offer the admin's own.
    email = email_field(_l("E-mail address"), autocomplete="off")
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    is_school_admin = BooleanField(
        _l("School admin"),
        description=_l("Manages staff accounts and consent texts. Sees no child's content."),
    )
