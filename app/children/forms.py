"""Forms of the pages composed over every feature: erasing a child."""

from __future__ import annotations

from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired

from app.children.erasure import NOT_CONFIRMED
from app.core.forms import PortalForm, max_length, one_line, required
from app.core.i18n import lazy_gettext as _l


class EraseChildForm(PortalForm):
    """The second step of erasing a child: its full name typed, and the confirmation."""

    name = StringField(
        _l("The child's full name"),
        validators=[required(), one_line(), max_length(120)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    confirm = BooleanField(
        _l("I understand that this cannot be undone"),
        validators=[DataRequired(message=NOT_CONFIRMED)],
    )
