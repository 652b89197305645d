"""Form fields written as HTML with less work per field than WTForms' own widgets.

WTForms writes each attribute through ``Markup.format`` (Python's ``string.Formatter``) and looks
through ``dir()`` of a field's flags: some 200 function calls for one ``<input>``, which on the
clip page (two forms, nine fields) cost more than the rest of the page. ``render`` writes the
same HTML, character for character, for WTForms' own input, text area and select widgets;
any other widget (lists of radio buttons, a subclass with its own ``__call__``) is left to
WTForms. ``field_block`` writes a field with its label, hint and errors (the ``render_field``
macro of ``templates/_macros/forms.html``) in one call instead of a macro's dozens of lookups.
``tests/core/test_widgets.py`` holds both to what WTForms and the macro wrote, for every field
of every form.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, cast

from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape
from wtforms import Field
from wtforms.fields.core import Label
from wtforms.widgets import core as wt

from app.core.holes import esc

__all__ = ["attributes", "field_block", "label", "render"]


@lru_cache(maxsize=512)
def _key(key: str) -> str:
    """An attribute's name as WTForms writes it (``class_`` → ``class``, ``data_x`` →
    ``data-x``), escaped."""
    return str(escape(wt.clean_key(key)))


@lru_cache(maxsize=512)
def _cleaned(key: str) -> str:
    return wt.clean_key(key)  # type: ignore[no-any-return]


def _text(value: Any) -> Any:
    """A translation put off (``lazy_gettext``) as what ``escape`` makes of it (its
    ``__html__``: its text, taken as safe), anything else as it is: a lazy string translates
    itself each time it is asked anything (its length, whether it has ``__html__``, its
    text), three times in ``escape(label or value)``."""
    return Markup(str(value)) if type(value) is LazyString else value  # noqa: S704


def _escaped(value: Any) -> str:
    """``escape(value)`` as text: a plain string in one call."""
    if type(value) is str:
        return esc(value)
    return str(escape(_text(value)))


def attributes(values: dict[str, Any]) -> str:
    """``wtforms.widgets.html_params(**values)``: sorted by name, ``True`` written as a bare
    name, ``False`` left out, every other value escaped (quotes too)."""
    params = []
    for name, value in sorted(values.items()):
        if value is True:
            params.append(_key(name))
        elif value is False:
            continue
        elif type(value) is str:  # escaped, it holds no quote
            params.append(f'{_key(name)}="{esc(value)}"')
        elif type(value) is int:
            params.append(f'{_key(name)}="{value}"')
        else:
            params.append(f'{_key(name)}="{str.replace(escape(value), chr(34), "&quot;")}"')
    return " ".join(params)


def label(field_label: Label) -> Markup:
    """``field.label`` as WTForms writes it (``<label for="id">text</label>``)."""
    field_id = field_label.field_id
    # attributes() of one plain name written at once
    plain = type(field_id) is str
    for_ = f'for="{esc(field_id)}"' if plain else attributes({"for": field_id})
    text = _escaped(field_label.text)
    return Markup(f"<label{' ' if for_ else ''}{for_}>{text}</label>")  # noqa: S704 - escaped


def render(field: Field, render_kw: dict[str, Any]) -> Markup:
    """What ``DefaultMeta.render_field`` returns: the field's widget with the field's own
    ``render_kw`` under the attributes given for this rendering."""
    kwargs = {_cleaned(k): v for k, v in render_kw.items()}
    own = getattr(field, "render_kw", None)
    if own is not None:
        kwargs = dict({_cleaned(k): v for k, v in own.items()}, **kwargs)
    widget: Any = field.widget
    write = _WRITERS.get(type(widget).__call__)
    if write is None:
        return cast(Markup, widget(field, **kwargs))
    return write(widget, field, kwargs)


def _flags(widget: Any, field: Field, kwargs: dict[str, Any], call: bool) -> None:
    # WTForms reads dir(flags): a field's flags are attributes of its own Flags object.
    flags = getattr(getattr(field, "flags", None), "__dict__", {})
    for name in widget.validation_attrs:
        if name in flags and name not in kwargs:
            value = flags[name]
            kwargs[name] = value() if call and callable(value) else value


def _input(widget: Any, field: Field, kwargs: dict[str, Any]) -> Markup:
    kwargs.setdefault("id", field.id)
    kwargs.setdefault("type", widget.input_type)
    if "value" not in kwargs:
        kwargs["value"] = field._value()
    datalist = getattr(field, "_datalist", None)
    if datalist is not None and "list" not in kwargs:
        kwargs["list"] = datalist if isinstance(datalist, str) else datalist.id
    _flags(widget, field, kwargs, call=True)
    return Markup(f"<input {attributes(dict(name=field.name, **kwargs))}>")  # noqa: S704 - escaped


def _password(widget: Any, field: Field, kwargs: dict[str, Any]) -> Markup:
    if widget.hide_value:
        kwargs["value"] = ""
    return _input(widget, field, kwargs)


def _checkbox(widget: Any, field: Field, kwargs: dict[str, Any]) -> Markup:
    if getattr(field, "checked", field.data):
        kwargs.setdefault("checked", True)
    return _input(widget, field, kwargs)


def _radio(widget: Any, field: Field, kwargs: dict[str, Any]) -> Markup:
    if field.checked:
        kwargs.setdefault("checked", True)
    return _input(widget, field, kwargs)


def _date_time(widget: Any, field: Field, kwargs: dict[str, Any]) -> Markup:
    form = getattr(field, "format", None)
    if form is not None:
        form = form[0] if isinstance(form, list) else form
        flags = getattr(field, "flags", {})
        for attr in ("min", "max"):
            value: Any = kwargs.get(attr, getattr(flags, attr, None))
            if callable(value):
                value = value()
            if hasattr(value, "strftime"):
                kwargs[attr] = value.strftime(form)
    return _input(widget, field, kwargs)


def _text_area(widget: Any, field: Field, kwargs: dict[str, Any]) -> Markup:
    kwargs.setdefault("id", field.id)
    _flags(widget, field, kwargs, call=False)
    params = attributes(dict(name=field.name, **kwargs))
    value = escape(field._value())
    return Markup(f"<textarea {params}>\r\n{value}</textarea>")  # noqa: S704 - escaped


def _select(widget: Any, field: Any, kwargs: dict[str, Any]) -> Markup:
    if type(widget).render_option.__func__ is not wt.Select.render_option.__func__:
        return widget(field, **kwargs)  # type: ignore[no-any-return]
    if field.has_groups():
        return widget(field, **kwargs)  # type: ignore[no-any-return]
    kwargs.setdefault("id", field.id)
    if widget.multiple:
        kwargs["multiple"] = True
    _flags(widget, field, kwargs, call=False)
    html = [f"<select {attributes(dict(name=field.name, **kwargs))}>"]
    for choice in field._iter_choices_normalized():
        value = choice.value
        if type(value) is str and not choice.render_kw:  # attributes() of value (and selected)
            head = "<option selected" if choice.selected else "<option"
            text = _escaped(_text(choice.label) or value)
            html.append(f'{head} value="{esc(value)}">{text}</option>')
            continue
        options = {"value": str(value) if isinstance(value, bool) else value}
        if choice.render_kw:
            options.update(choice.render_kw)
        if choice.selected:
            options["selected"] = True
        text = _escaped(_text(choice.label) or choice.value)
        html.append(f"<option {attributes(options)}>{text}</option>")
    html.append("</select>")
    return Markup("".join(html))  # noqa: S704 - escaped attributes and labels


_WRITERS: dict[Any, Callable[[Any, Any, dict[str, Any]], Markup]] = {
    wt.Input.__call__: _input,
    wt.PasswordInput.__call__: _password,
    wt.CheckboxInput.__call__: _checkbox,
    wt.RadioInput.__call__: _radio,
    wt._DateTimeBaseInput.__call__: _date_time,
    wt.TextArea.__call__: _text_area,
    wt.Select.__call__: _select,
}


def field_block(field: Field, hint: Any = None) -> Markup:
    """A field with its label, hint and errors, as ``render_field`` in
    ``templates/_macros/forms.html`` shows it (one element a line): the hint and the errors
    are named by the field's ``aria-describedby``, an invalid field says so."""
    errors = field.errors
    described = _text(hint) or _text(field.description)
    describedby = []
    if described:
        describedby.append(f"{field.id}-hint")
    if errors:
        describedby.append(f"{field.id}-error")
    names = " ".join(describedby) or False
    check = field.type == "BooleanField"
    classes = "field"
    if errors:
        classes += " field-invalid"
    if check:
        classes += " field-check"
    lines = [f'<div class="{classes}">']
    if check:
        lines.append(field(**{"aria-describedby": names}))
    lines.append(label(field.label))
    if described:
        lines.append(f'<p class="hint" id="{escape(field.id)}-hint">{_escaped(described)}</p>')
    if errors:
        said = " ".join(escape(error) for error in errors)
        lines.append(f'<p class="field-error" id="{escape(field.id)}-error">{said}</p>')
    if not check:
        invalid = "true" if errors else False
        lines.append(field(**{"aria-describedby": names, "aria-invalid": invalid}))
    lines.append("</div>")
    return Markup("\n".join(lines))  # noqa: S704 - escaped values and rendered fields


def radio_buttons(field: Any) -> list[tuple[Markup, Any]]:
    """Each radio button of a ``RadioField`` with its label's text: what iterating the field
    gives (``option()``, ``option.label.text``), without making a field for every button."""
    widget = field.option_widget
    if type(widget).__call__ is not wt.RadioInput.__call__:
        return [(option(), option.label.text) for option in field]
    own = {_cleaned(k): v for k, v in (field.render_kw or {}).items()}
    flagged: dict[str, Any] = {}
    _flags(widget, field, flagged, call=True)  # a button's flags are its field's
    if not own and not flagged:
        # attributes() of a button's checked, id, name, type and value, in that order
        head = f'id="{esc(field.id)}-'
        tail = f'" name="{esc(field.name)}" type="{esc(widget.input_type)}" value="'
        return [
            (
                Markup(  # noqa: S704 - escaped
                    f"<input {'checked ' if choice.selected else ''}{head}{i}{tail}"
                    f'{esc(str(choice.value))}">'
                ),
                _text(choice.label) or choice.value,
            )
            for i, choice in enumerate(field._iter_choices_normalized())
        ]
    buttons = []
    for i, choice in enumerate(field._iter_choices_normalized()):
        kwargs = dict(own)
        if choice.selected:
            kwargs.setdefault("checked", True)
        kwargs.setdefault("id", f"{field.id}-{i}")
        kwargs.setdefault("type", widget.input_type)
        if "value" not in kwargs:
            kwargs["value"] = str(choice.value)
        _flags(widget, field, kwargs, call=True)  # a button's flags are its field's
        button = Markup(f"<input {attributes(dict(name=field.name, **kwargs))}>")  # noqa: S704
        buttons.append((button, _text(choice.label) or choice.value))
    return buttons
