"""Validators and fields shared by the feature forms."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, Form, PasswordField, SelectChoice, StringField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from app.core.errors import RefusedError

LANGUAGE_CHOICES = [
    SelectChoice("nl", "Nederlands", render_kw={"lang": "nl"}),
    SelectChoice("en", "English", render_kw={"lang": "en"}),
]


def required() -> DataRequired:
    return DataRequired(message=_l("Please fill in this field."))


def max_length(n: int) -> Length:
    return Length(max=n, message=_l("Use at most %(max)d characters.", max=n))


def email_field(label: Any) -> StringField:
    return StringField(
        label,
        validators=[
            required(),
            max_length(254),
            Email(
                message=_l("Enter an e-mail address like name@example.nl."),
                check_deliverability=False,
            ),
        ],
        render_kw={"autocomplete": "email", "inputmode": "email", "spellcheck": "false"},
    )


_PASSWORD_MESSAGES = {
    "too_short": _l("Use at least 8 characters."),
    "too_long": _l("Use at most 128 characters."),
    "common": _l("This password is too common and easy to guess. Choose another one."),
    "personal": _l("Do not use your name or e-mail address as password."),
}


class StrongPassword:
    """Refuse weak passwords (see auth.services.password_problem) with a clear message.

    ``email_field``/``name_field`` name sibling fields to compare with; ``email``/``name``
    give fixed values when the form does not ask for them.
    """

    def __init__(self, email_field: str | None = None, name_field: str | None = None) -> None:
        self.email_field = email_field
        self.name_field = name_field

    def __call__(self, form: Form, field: Field) -> None:
        from app.auth.services import password_problem

        email = getattr(form, "known_email", "") or (
            form[self.email_field].data if self.email_field else ""
        )
        name = getattr(form, "known_name", "") or (
            form[self.name_field].data if self.name_field else ""
        )
        problem = password_problem(field.data or "", email=email or "", name=name or "")
        if problem:
            raise ValidationError(str(_PASSWORD_MESSAGES[problem]))


def new_password_field(label: Any, **kwargs: Any) -> PasswordField:
    return PasswordField(
        label,
        validators=[required(), StrongPassword(**kwargs)],
        render_kw={"autocomplete": "new-password", "maxlength": 128},
    )


class ConfirmForm(FlaskForm):
    """No fields: a button that carries the CSRF token."""


def show_refusal(form: Any, refused: RefusedError) -> None:
    """Put a service's refusal on the form shown again: beside the field it names, or above
    the form when it names none (or one the form lacks)."""
    field = form._fields.get(refused.field) if refused.field else None
    if field is not None:
        field.errors = [*field.errors, str(refused.message)]
    else:
        form.form_errors.append(str(refused.message))
