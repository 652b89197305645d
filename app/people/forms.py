"""Forms for opening a trajectory, inviting into the circle and accepting an invitation."""

from __future__ import annotations

from datetime import date, timedelta

from flask_wtf import FlaskForm
from wtforms import DateField, Field, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Optional, ValidationError

from app.circle.models import Role
from app.core.clock import local_date
from app.core.forms import (
    LANGUAGE_CHOICES,
    PortalForm,
    email_field,
    max_length,
    new_password_field,
    one_line,
    plain_text,
    repeat_password_field,
    required,
)
from app.core.i18n import lazy_gettext as _l

ROLE_LABELS = {
    Role.COACH: _l("Coach"),
    Role.TEACHER: _l("Teacher"),
    Role.SPECIALIST: _l("Specialist"),
    Role.PARENT: _l("Parent or carer"),
    Role.PUPIL: _l("Pupil"),
}


def _date_field(label: object, *validators: object, **kwargs: object) -> DateField:
    return DateField(
        label,
        validators=list(validators),
        format="%Y-%m-%d",
        render_kw={"type": "date"},
        **kwargs,
    )


def _plausible_birth_date(form: FlaskForm, field: Field) -> None:
    today = local_date()
    if field.data is None:
        return
    if field.data > today:
        raise ValidationError(str(_l("The date of birth cannot be in the future.")))
    if field.data < today - timedelta(days=366 * 25):
        raise ValidationError(str(_l("Check the date of birth: this child would be over 25.")))


class TrajectoryForm(PortalForm):
    name = StringField(
        _l("Child's name"),
        validators=[required(), one_line(), max_length(120)],
        render_kw={"autocomplete": "off"},
    )
    date_of_birth = _date_field(_l("Date of birth"), required(), _plausible_birth_date)
    group_name = StringField(
        _l("Group or class"),
        validators=[required(), one_line(), max_length(60)],
        description=_l("For example: groep 5 or 3B."),
    )
    guiding_question = TextAreaField(
        _l("Guiding question"),
        validators=[required(), plain_text(), max_length(1000)],
        description=_l(
            "What does this child need, and how can we offer it? Write it in the words of the "
            "teacher and the parents."
        ),
        render_kw={"rows": 4},
    )


class InviteForm(PortalForm):
    name = StringField(
        _l("Name"),
        validators=[required(), one_line(), max_length(120)],
        render_kw={"autocomplete": "off"},
    )
    # Someone else's address: the browser should not offer the inviter's own.
    email = email_field(_l("E-mail address"), autocomplete="off")
    role = SelectField(
        _l("Role in the circle"),
        choices=[
            SelectChoice(r.value, ROLE_LABELS[r])
            for r in (Role.PARENT, Role.TEACHER, Role.SPECIALIST, Role.COACH, Role.PUPIL)
        ],
    )
    language = SelectField(
        _l("Language of the invitation"),
        choices=LANGUAGE_CHOICES,
        description=_l("The e-mail and the first page are shown in this language."),
    )
    access_until = _date_field(
        _l("Access until (specialists only)"),
        Optional(),
        description=_l("A specialist joins the circle for a limited time."),
    )

    def validate_access_until(self, field: Field) -> None:
        if field.data is None:
            if self.role.data == Role.SPECIALIST.value:
                raise ValidationError(
                    str(_l("A specialist joins for a limited time: give an end date."))
                )
            return
        today: date = local_date()
        if field.data < today:
            raise ValidationError(str(_l("The end date has passed.")))
        if field.data > today + timedelta(days=366):
            raise ValidationError(str(_l("Choose an end date within a year.")))


class AcceptNewAccountForm(PortalForm):
    name = StringField(
        _l("Your name"),
        validators=[required(), one_line(), max_length(120)],
        render_kw={"autocomplete": "name"},
    )
    password = new_password_field(_l("Choose a password"), name_field="name")
    confirm = repeat_password_field(_l("Repeat the password"))
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
