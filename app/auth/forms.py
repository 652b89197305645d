"""Forms for signing in, resetting passwords and the account page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField

from app.core.forms import (
    LANGUAGE_CHOICES,
    PortalForm,
    current_password_field,
    email_field,
    max_length,
    new_password_field,
    one_line,
    repeat_password_field,
    required,
)


class SignInForm(PortalForm):
    email = email_field(_l("E-mail address"), autocomplete="username")
    password = current_password_field(_l("Password"))
    next = HiddenField()


class ForgotPasswordForm(PortalForm):
    email = email_field(_l("E-mail address"), autocomplete="username")


class NewPasswordForm(PortalForm):
    password = new_password_field(_l("New password"))
    confirm = repeat_password_field(_l("Repeat the new password"))


class AccountForm(PortalForm):
    name = StringField(
        _l("Your name"),
        validators=[required(), one_line(), max_length(120)],
        render_kw={"autocomplete": "name"},
    )
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)


class ChangePasswordForm(PortalForm):
    current = current_password_field(_l("Current password"))
    password = new_password_field(_l("New password"))
    confirm = repeat_password_field(_l("Repeat the new password"))


class LanguageForm(PortalForm):
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    next = HiddenField()


class SignOutForm(PortalForm):
    """Empty on purpose: it carries the CSRF token of the sign-out button."""
