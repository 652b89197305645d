"""The moment and fragment forms as they stand before anything is sent, from plain values.

On every clip page both forms are empty but for a time and a title, and binding and
processing a WTForms form and writing its fields (a select of every tag, a radio button per
audience) cost the page more than its list of moments. So ``templates/clips/_moments.html``
draws the empty forms itself from :func:`blank_moment_form` and :func:`blank_fragment_form`,
the HTML that ``render_field`` and ``audience_field`` write for them character for character
(tests/clips/test_blank_forms.py holds the two together). A page shown after a form was
sent (the form with its errors) draws both forms from WTForms forms, as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel.speaklater import LazyString
from markupsafe import Markup

from app.circle.audience import Audience
from app.clips.forms import NOTE_MAX, TIME_MAX, TITLE_MAX, FragmentForm, MomentForm
from app.core.timecode import format_time

#: What WTForms writes before a text area's text.
_TEXT_AREA_START = "\r\n"


def _shown(label: Any, value: str) -> Any:
    """What a select writes of a choice, ``label or value``, a translation put off (a lazy
    string) asked once: escaping takes it as safe text (its ``__html__``)."""
    return _safe(label) or value


def _safe(text: Any) -> Any:
    # A lazy string as escaping takes it (its ``__html__``: its text, as safe), translated
    # once here rather than twice where the template writes it.
    return Markup(str(text)) if type(text) is LazyString else text  # noqa: S704


def _label(form: type[Any], name: str) -> Any:
    # The label a field of ``form`` is declared with (its first argument).
    return _safe(getattr(form, name).args[0])


def _audiences(
    form: type[Any], audiences: Sequence[Audience], labels: Mapping[Audience, str]
) -> list[tuple[str, str, bool]]:
    # Each radio button's value, label and whether it is chosen: the field's default.
    default = form.audience.kwargs["default"]
    return [(a.value, labels[a], a.value == default) for a in audiences]


def blank_moment_form(
    start: float,
    tag_choices: Sequence[tuple[str, Any]],
    audiences: Sequence[Audience],
    labels: Mapping[Audience, str],
) -> dict[str, Any]:
    """The values of the empty moment form (as ``MomentForm(data={"start": start})`` with
    these choices shows it): its time, its fields' labels, the tags and the audiences, the
    default one chosen."""
    names = ("start", "end", "tag", "text", "audience")
    return {
        "start": format_time(start),
        "labels": {name: _label(MomentForm, name) for name in names},
        "end_hint": _safe(MomentForm.end.kwargs["description"]),
        "time_max": TIME_MAX,
        "note_max": NOTE_MAX,
        "note_rows": MomentForm.text.kwargs["render_kw"]["rows"],
        "text_start": _TEXT_AREA_START,
        "tags": [(value, _shown(label, value)) for value, label in tag_choices],
        "audiences": _audiences(MomentForm, audiences, labels),
    }


def blank_fragment_form(
    title: str, audiences: Sequence[Audience], labels: Mapping[Audience, str]
) -> dict[str, Any]:
    """The values of the empty fragment form (as ``FragmentForm(data={"title": title})``
    with these audiences shows it)."""
    return {
        "title": title,
        "labels": {
            name: _label(FragmentForm, name) for name in ("start", "end", "title", "audience")
        },
        "time_max": TIME_MAX,
        "title_max": TITLE_MAX,
        "audiences": _audiences(FragmentForm, audiences, labels),
    }
