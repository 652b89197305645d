"""Validators and fields shared by the feature forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask_wtf import FlaskForm
from wtforms import EmailField, Field, Form, PasswordField, SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    Length,
    StopValidation,
    ValidationError,
)

from app.core import widgets
from app.core.db import db
from app.core.errors import RefusedError
from app.core.i18n import lazy_gettext as _l
from app.core.passwords import PASSWORD_MAX, password_problem
from app.core.text import has_control_characters

T = TypeVar("T")

LANGUAGE_CHOICES = [
    SelectChoice("nl", "Nederlands", render_kw={"lang": "nl"}),
    SelectChoice("en", "English", render_kw={"lang": "en"}),
]


def required() -> DataRequired:
    return DataRequired(message=_l("Please fill in this field."))


def max_length(n: int) -> Length:
    return Length(max=n, message=_l("Use at most %(max)d characters.", max=n))


# What a one-line value may not hold is decided in app.core.text (mail and a data migration
# apply the same rule); a text of several lines may also hold these.
_LINE_BREAKS = frozenset("\n\r")


class OneLine:
    """Refuse line breaks and other control characters in a one-line field, and any value
    that is not text at all (a file part sent under a text field's name)."""

    def __call__(self, form: Form, field: Field) -> None:
        if field.data is None:
            return
        if not isinstance(field.data, str):
            # Stop: the validators after this one would fail on a file object.
            raise StopValidation(str(_l("Send this field as text.")))
        if has_control_characters(field.data):
            raise ValidationError(
                str(_l("Write this on one line, without line breaks or invisible characters."))
            )


class PlainText:
    """Refuse control characters other than line breaks and tabs in a text of several lines."""

    def __call__(self, form: Form, field: Field) -> None:
        if field.data is None:
            return
        if not isinstance(field.data, str):
            # Stop: the validators after this one would fail on a file object.
            raise StopValidation(str(_l("Send this field as text.")))
        if has_control_characters(field.data, allowed=_LINE_BREAKS | {"\t"}):
            raise ValidationError(str(_l("Remove the invisible characters from this text.")))


class TextOnly:
    """Refuse a value that is not text (a file part sent under a text field's name), and
    nothing else: a password to check may hold any character it was set with."""

    def __call__(self, form: Form, field: Field) -> None:
        if field.data is not None and not isinstance(field.data, str):
            raise StopValidation(str(_l("Send this field as text.")))


def one_line() -> OneLine:
    return OneLine()


def text_only() -> TextOnly:
    return TextOnly()


def plain_text() -> PlainText:
    return PlainText()


def _strip(value: Any) -> Any:
    # Phone keyboards add a space after a suggested address; nobody means it.
    return value.strip() if isinstance(value, str) else value


def email_field(label: Any, *, autocomplete: str = "email") -> EmailField:
    """An e-mail address: trimmed, at most 254 characters, one line, ``type="email"``.

    ``autocomplete="username"`` on sign-in lets password managers fill in the account.
    """
    return EmailField(
        label,
        filters=[_strip],
        validators=[
            required(),
            one_line(),  # first: it refuses a value that is not text before others measure it
            max_length(254),
            Email(
                message=_l("Enter an e-mail address like name@example.nl."),
                check_deliverability=False,
            ),
        ],
        render_kw={"autocomplete": autocomplete, "inputmode": "email", "spellcheck": "false"},
    )


_PASSWORD_MESSAGES = {
    "too_short": _l("Use at least 8 characters."),
    "too_long": _l("Use at most 128 characters."),
    "common": _l("This password is too common and easy to guess. Choose another one."),
    "personal": _l("Do not use your name or e-mail address as password."),
}


class StrongPassword:
    """Refuse weak passwords (see app.core.passwords.password_problem) with a clear message.

    ``email_field``/``name_field`` name sibling fields to compare with; ``email``/``name``
    give fixed values when the form does not ask for them.
    """

    max = PASSWORD_MAX  # the length cap, for anyone checking that every field has one

    def __init__(self, email_field: str | None = None, name_field: str | None = None) -> None:
        self.email_field = email_field
        self.name_field = name_field

    def __call__(self, form: Form, field: Field) -> None:
        email = getattr(form, "known_email", "") or (
            form[self.email_field].data if self.email_field else ""
        )
        name = getattr(form, "known_name", "") or (
            form[self.name_field].data if self.name_field else ""
        )
        if not isinstance(field.data or "", str):
            return  # OneLine, before this one, has refused it already
        problem = password_problem(field.data or "", email=email or "", name=name or "")
        if problem:
            raise ValidationError(str(_PASSWORD_MESSAGES[problem]))


def new_password_field(label: Any, **kwargs: Any) -> PasswordField:
    return PasswordField(
        label,
        validators=[required(), one_line(), StrongPassword(**kwargs)],
        render_kw={"autocomplete": "new-password", "maxlength": PASSWORD_MAX},
    )


def repeat_password_field(label: Any, *, of: str = "password") -> PasswordField:
    """The new password once more; it must equal the field named ``of``."""
    return PasswordField(
        label,
        validators=[
            required(),
            one_line(),
            max_length(PASSWORD_MAX),
            EqualTo(of, message=_l("The two passwords differ.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


def current_password_field(label: Any) -> PasswordField:
    """A password to check against the stored one (sign-in, the account page)."""
    return PasswordField(
        label,
        # Longer than any password we accept, so that an old longer one can still sign in; and
        # any character, so that a password set before control characters were refused works.
        validators=[required(), text_only(), max_length(1024)],
        render_kw={"autocomplete": "current-password"},
    )


class PortalForm(FlaskForm):  # type: ignore[misc]  # flask_wtf ships no type information
    """The base of every form: its CSRF token is rendered without an id, and its fields are
    written by ``app.core.widgets`` (WTForms' HTML, with less work).

    A page holds several forms, each with its token; an id repeated on a page breaks labels
    and assistive technology, and no label or script refers to the token by id.
    """

    class Meta:
        def render_field(self, field: Field, render_kw: dict[str, Any]) -> Any:
            if field.short_name == "csrf_token":
                render_kw = {**render_kw, "id": False}  # False leaves the attribute out
            return widgets.render(field, render_kw)


class ConfirmForm(PortalForm):
    """No fields: a button that carries the CSRF token."""


def show_refusal(form: Any, refused: RefusedError) -> None:
    """Put a service's refusal on the form shown again: beside the field it names, or above
    the form when it names none (or one the form lacks)."""
    field = form._fields.get(refused.field) if refused.field else None
    if field is not None:
        field.errors = [*field.errors, str(refused.message)]
    else:
        form.form_errors.append(str(refused.message))


def attempt(form: Any, action: Callable[[], T]) -> tuple[bool, T | None]:
    """Carry out a validated form's service call: commit and return ``(True, result)``; when
    the service refuses, roll back, show why on the form and return ``(False, None)``.

    Errors other than a refusal propagate (the request's teardown rolls back).
    """
    try:
        result = action()
    except RefusedError as refused:
        db.session.rollback()
        show_refusal(form, refused)
        return False, None
    db.session.commit()
    return True, result
