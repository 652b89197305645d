"""Forms of the school admin."""

from __future__ import annotations

from wtforms import BooleanField, SelectField, StringField

from app.core.forms import LANGUAGE_CHOICES, PortalForm, email_field, max_length, one_line, required
from app.core.i18n import lazy_gettext as _l


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


class SecurityForm(PortalForm):
    staff_second_factor_required = BooleanField(
        _l("Staff must use a second factor"),
        description=_l(
            "Staff then sign in with their password and an authenticator app or a passkey. "
            "Whoever has none yet, you included, is asked to add one right after their "
            "password."
        ),
    )
    seals_need_timestamp = BooleanField(
        _l("Seals must carry a trusted time"),
        description=_l(
            "Every document the school issues is then sealed with a timestamp from the "
            "time-stamping authority, which proves when it was sealed. While the authority "
            "cannot be reached, a document is refused rather than sealed without one."
        ),
    )
    passkey_sign_in_allowed = BooleanField(
        _l("Signing in with a passkey alone"),
        description=_l(
            "Staff and parents of this school who have a passkey may then sign in with it "
            "instead of their password; their device checks their fingerprint, face or PIN."
        ),
    )
