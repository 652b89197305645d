"""Forms for signing in, resetting passwords and the account page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import EqualTo

from app.core.forms import LANGUAGE_CHOICES, email_field, max_length, new_password_field, required


class SignInForm(FlaskForm):
    email = email_field(_l("E-mail address"))
    password = PasswordField(
        _l("Password"),
        validators=[required(), max_length(1024)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = email_field(_l("E-mail address"))


class NewPasswordForm(FlaskForm):
    password = new_password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[required(), EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class AccountForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[required(), max_length(120)])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)


class ChangePasswordForm(FlaskForm):
    current = PasswordField(
        _l("Current password"),
        validators=[required(), max_length(1024)],
        render_kw={"autocomplete": "current-password"},
    )
    password = new_password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[required(), EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class LanguageForm(FlaskForm):
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    next = HiddenField()


class SignOutForm(FlaskForm):
    """Empty on purpose: it carries the CSRF token of the sign-out button."""
