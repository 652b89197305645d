"""Forms for signing and withdrawing consent, and for editing a school's consent text."""

from __future__ import annotations

from typing import Any

from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange

from app.consent.models import PURPOSES, Answer
from app.core.forms import PortalForm, max_length, one_line, plain_text, required
from app.core.i18n import lazy_gettext as _l
from app.core.signing import SignatureForm


def _answer_field(label: str, description: str) -> RadioField:
    # No default: nothing is pre-ticked, and silence is no.
    return RadioField(
        label,
        choices=[
            SelectChoice(Answer.YES.value, _l("Yes, I agree")),
            SelectChoice(Answer.NO.value, _l("No")),
        ],
        validators=[InputRequired(message=_l("Answer yes or no for this part."))],
        description=description,
    )


class _SignFormBase(SignatureForm):
    # token, typed_name, type_signature and signature come from the shared SignatureForm.
    template_id = HiddenField()
    confirm = BooleanField(
        _l("I have read the text above, and these are my answers."),
        validators=[InputRequired(message=_l("Confirm that these are your answers."))],
    )

    def answer_fields(self) -> list[Field]:
        return [self[p.value] for p in PURPOSES]


def sign_form(text: dict[str, Any], **kwargs: Any) -> _SignFormBase:
    """A signing form with one yes/no question per purpose, labelled from ``text``."""

    class SignForm(_SignFormBase):
        pass

    for purpose in PURPOSES:
        part = text["purposes"][purpose]
        setattr(SignForm, purpose.value, _answer_field(part["label"], part["explanation"]))
    return SignForm(**kwargs)


class WithdrawForm(PortalForm):
    token = HiddenField()


class TemplateFormBase(PortalForm):
    """Built by :func:`template_form`: the fields depend on the languages and the limit."""


def template_form(languages: tuple[str, ...], max_months: int, **kwargs: Any) -> TemplateFormBase:
    """A form with every text of a consent template, per language (fields ``<lang>-<part>``)."""

    class TemplateForm(TemplateFormBase):
        pass

    TemplateForm.retention_months = IntegerField(
        _l("Retention term after the trajectory (months)"),
        validators=[
            InputRequired(message=_l("Please fill in this field.")),
            NumberRange(
                min=1,
                max=max_months,
                message=_l("Choose from 1 to %(max)d months.", max=max_months),
            ),
        ],
        description=_l("Write {months} in a text where this number should appear."),
    )
    for lang in languages:
        setattr(
            TemplateForm,
            f"{lang}-title",
            StringField(_l("Title"), validators=[required(), one_line(), max_length(200)]),
        )
        setattr(
            TemplateForm,
            f"{lang}-intro",
            TextAreaField(
                _l("Introduction"),
                validators=[required(), plain_text(), max_length(4000)],
                render_kw={"rows": 6},
            ),
        )
        for purpose in PURPOSES:
            setattr(
                TemplateForm,
                f"{lang}-{purpose.value}-label",
                StringField(_l("Short name"), validators=[required(), one_line(), max_length(120)]),
            )
            setattr(
                TemplateForm,
                f"{lang}-{purpose.value}-explanation",
                TextAreaField(
                    _l("Explanation"),
                    validators=[required(), plain_text(), max_length(2000)],
                    render_kw={"rows": 3},
                ),
            )
        setattr(
            TemplateForm,
            f"{lang}-closing",
            TextAreaField(
                _l("Closing text"),
                validators=[plain_text(), max_length(4000)],
                render_kw={"rows": 3},
            ),
        )
    return TemplateForm(**kwargs)


def texts_from(form: TemplateFormBase, languages: tuple[str, ...]) -> dict[str, Any]:
    """The ``texts`` structure of a template from the submitted form."""
    return {
        lang: {
            "title": form[f"{lang}-title"].data.strip(),
            "intro": form[f"{lang}-intro"].data.strip(),
            "purposes": {
                p.value: {
                    "label": form[f"{lang}-{p.value}-label"].data.strip(),
                    "explanation": form[f"{lang}-{p.value}-explanation"].data.strip(),
                }
                for p in PURPOSES
            },
            "closing": (form[f"{lang}-closing"].data or "").strip(),
        }
        for lang in languages
    }


def form_data_from(texts: dict[str, Any], retention_months: int) -> dict[str, Any]:
    """The form's initial values from a template's ``texts``."""
    data: dict[str, Any] = {"retention_months": retention_months}
    for lang, text in texts.items():
        data[f"{lang}-title"] = text.get("title", "")
        data[f"{lang}-intro"] = text.get("intro", "")
        data[f"{lang}-closing"] = text.get("closing", "")
        for p in PURPOSES:
            part = (text.get("purposes") or {}).get(p.value) or {}
            data[f"{lang}-{p.value}-label"] = part.get("label", "")
            data[f"{lang}-{p.value}-explanation"] = part.get("explanation", "")
    return data
