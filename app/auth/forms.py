"""Forms for signing in, resetting passwords and the account page."""

from __future__ import annotations

from wtforms import HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import NumberRange
from wtforms.widgets import HiddenInput

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
from app.core.i18n import lazy_gettext as _l


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


class CodeForm(PortalForm):
    """A code from the authenticator app, or a recovery code."""

    code = StringField(
        _l("Code"),
        validators=[required(), one_line(), max_length(32)],
        render_kw={
            "autocomplete": "one-time-code",
            "autocapitalize": "none",
            "spellcheck": "false",
        },
    )


class EnrolForm(PortalForm):
    """The first code from a newly added authenticator app, which puts it into effect."""

    code = StringField(
        _l("Code from the app"),
        validators=[required(), one_line(), max_length(16)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class PasskeyForm(PortalForm):
    """Which of the account's passkeys a button is about."""

    passkey_id = IntegerField(
        widget=HiddenInput(), validators=[required(), NumberRange(min=1, max=2**31 - 1)]
    )


class PasskeyNameForm(PasskeyForm):
    name = StringField(
        _l("Name of the passkey"),
        validators=[required(), one_line(), max_length(60)],
        render_kw={"autocomplete": "off"},
    )
