"""The fields of every form are written by app.core.widgets exactly as WTForms writes them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import Field
from wtforms.fields.core import Label
from wtforms.meta import DefaultMeta

from app.core import widgets
from tests.support.forms import all_forms

#: Attributes a template adds when it renders a field (templates/_macros/forms.html and others).
RENDER_KW: list[dict[str, Any]] = [
    {},
    {"aria-describedby": False, "aria-invalid": False},
    {"aria-describedby": "f-hint f-error", "aria-invalid": "true"},
    {"class_": "wide", "data_for": 'a "b" <c>', "required": True, "disabled": False, "rows": 3},
]

#: What a person may have typed, shown again with the errors.
TYPED = "Een \"tekst\" met <b>tekens</b> & 'meer'"


def wtforms_render(field: Field, render_kw: dict[str, Any]) -> Any:
    """The field as WTForms itself writes it (without the portal's csrf rule, applied before)."""
    return DefaultMeta.render_field(field.meta, field, render_kw)


def outcome(render: Any, field: Field, render_kw: dict[str, Any]) -> tuple[str, str]:
    try:
        return "html", str(render(field, dict(render_kw)))
    except Exception as error:  # a select without choices refuses in both
        return "error", type(error).__name__


def filled(form: Any) -> MultiDict[str, str]:
    """A value for every field: the first choice of a choice, a typed text otherwise."""
    data = MultiDict()
    for field in form:
        choices = getattr(field, "choices", None)
        if choices:
            first = next(iter(field.iter_choices()), None)
            if first is not None:
                data.add(field.name, str(first.value))
        elif field.type == "BooleanField":
            data.add(field.name, "y")
        elif field.type in ("DateField", "DueDateField"):
            data.add(field.name, "2026-03-04")
        elif field.type in ("TimeField", "ClockTimeField"):
            data.add(field.name, "09:30")
        elif field.type == "IntegerField":
            data.add(field.name, "12")
        else:
            data.add(field.name, TYPED)
    return data


def fields_of(form: Any) -> list[Field]:
    found = []
    for field in form:
        found.append(field)
        if hasattr(field, "_Option") and getattr(field, "choices", None):
            found.extend(field)  # the radio buttons or check boxes of a list
    return found


@pytest.mark.parametrize("state", ["empty", "typed"])
def test_every_field_of_every_form_is_written_as_wtforms_writes_it(app, state):
    compared = 0
    with app.test_request_context("/?lang=en"):
        for form in all_forms():
            if state == "typed":
                form.process(filled(form))
                form.validate()  # errors and coerced values, as on a page shown again
            for field in fields_of(form):
                for render_kw in RENDER_KW:
                    ours = outcome(widgets.render, field, render_kw)
                    theirs = outcome(wtforms_render, field, render_kw)
                    assert ours == theirs, f"{type(form).__name__}.{field.name} {render_kw}"
                    compared += 1
                assert str(widgets.label(field.label)) == str(field.label())
    assert compared > 400  # the walk found the forms and their fields


@pytest.mark.parametrize(
    "field_id", ["name", 'quote"d', "<b>", False, True, None, 7, Markup("<i>x</i>")]
)
def test_a_label_is_written_as_wtforms_writes_it(field_id):
    for text in ("Naam", "<b>vet</b> & meer", Markup("<em>al veilig</em>"), ""):
        label = Label(field_id, text)
        assert str(widgets.label(label)) == str(label())


def test_attributes_are_written_as_wtforms_writes_them():
    from wtforms.widgets import html_params

    values = {
        "class_": "a b",
        "data_some_thing": 'x"y',
        "aria_label": "<&>",
        "for": "f",
        "checked": True,
        "hidden": False,
        "value": 0,
        "title": None,
        "lang": Markup('"already" safe'),
    }
    assert widgets.attributes(values) == str(html_params(**values))


#: ``render_field`` as templates/_macros/forms.html wrote it before app.core.widgets did.
MACRO = """
{%- macro render_field(field, hint=None) %}
  {%- set describedby = [] -%}
  {%- if field.description or hint %}{% set _ = describedby.append(field.id ~ '-hint') %}{% endif -%}
  {%- if field.errors %}{% set _ = describedby.append(field.id ~ '-error') %}{% endif -%}
  <div class="field{% if field.errors %} field-invalid{% endif %}{% if field.type == 'BooleanField' %} field-check{% endif %}">
    {% if field.type == 'BooleanField' %}
      {{ field(**{'aria-describedby': describedby|join(' ') or false}) }}
      {{ field.label }}
    {% else %}
      {{ field.label }}
    {% endif %}
    {% if field.description or hint %}<p class="hint" id="{{ field.id }}-hint">{{ hint or field.description }}</p>{% endif %}
    {% if field.errors %}
      <p class="field-error" id="{{ field.id }}-error">{% for e in field.errors %}{{ e }}{% if not loop.last %} {% endif %}{% endfor %}</p>
    {% endif %}
    {% if field.type != 'BooleanField' %}
      {{ field(**{'aria-describedby': describedby|join(' ') or false, 'aria-invalid': 'true' if field.errors else false}) }}
    {% endif %}
  </div>
{% endmacro -%}
{{ render_field(field, hint) }}"""  # noqa: E501


def lines(html: str) -> str:
    return re.sub(r"\s*\n\s*", "\n", html).strip()


@pytest.mark.parametrize("state", ["empty", "typed"])
@pytest.mark.parametrize("hint", [None, "Seconden (75) of <minuten>:seconden", Markup("<b>al</b>")])
def test_a_field_with_its_label_hint_and_errors_is_shown_as_the_macro_showed_it(app, state, hint):
    macro = app.jinja_env.from_string(MACRO)
    shown = 0
    with app.test_request_context("/?lang=en"):
        for form in all_forms():
            if state == "typed":
                form.process(filled(form))
                form.validate()
                if form.errors:
                    first = next(iter(form))
                    first.errors = [*first.errors, "Nog één & <fout>"]
            for field in form:
                if field.short_name == "csrf_token" or field.type == "RadioField":
                    continue
                try:
                    expected = lines(macro.render(field=field, hint=hint))
                except TypeError:  # a select without choices refuses in both
                    with pytest.raises(TypeError):
                        widgets.field_block(field, hint)
                    continue
                assert lines(widgets.field_block(field, hint)) == expected, field.name
                shown += 1
    assert shown > 100


@pytest.mark.parametrize("state", ["empty", "typed"])
def test_radio_buttons_are_written_as_iterating_the_field_writes_them(app, state):
    compared = 0
    with app.test_request_context("/?lang=en"):
        for form in all_forms():
            if state == "typed":
                form.process(filled(form))
                form.validate()
            for field in form:
                if field.type != "RadioField" or not field.choices:
                    continue
                expected = [(str(option()), str(option.label.text)) for option in field]
                written = [(str(b), str(t)) for b, t in widgets.radio_buttons(field)]
                assert written == expected, f"{type(form).__name__}.{field.name}"
                compared += len(expected)
    assert compared > 10
