"""The moment form as it stands before anything is sent, from plain values.

On every clip page the form is empty but for its time, and binding and processing a WTForms
form and writing its fields (a select of every tag, a radio button per audience) cost the
page more than its list of moments. So ``templates/clips/_moments.html`` draws the empty form
itself from :func:`blank_moment_form`, the HTML that ``render_field`` and ``audience_field``
write for it character for character (tests/clips/test_blank_forms.py holds the two
together); a form sent back with its errors is drawn from the WTForms form as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel.speaklater import LazyString
from markupsafe import Markup

from app.circle.audience import Audience
from app.clips.forms import NOTE_MAX, TIME_MAX, MomentForm
from app.core.timecode import format_time

#: What WTForms writes before a text area's text.
_TEXT_AREA_START = "\r\n"


def _shown(label: Any, value: str) -> Any:
    """What a select writes of a choice, ``label or value``, a translation put off (a lazy
    string) asked once: escaping takes it as safe text (its ``__html__``)."""
    text = Markup(str(label)) if type(label) is LazyString else label  # noqa: S704
    return text or value


def _label(name: str) -> Any:
    # The label a field of MomentForm is declared with (its first argument).
    return getattr(MomentForm, name).args[0]


def blank_moment_form(
    start: float,
    tag_choices: Sequence[tuple[str, Any]],
    audiences: Sequence[Audience],
    labels: Mapping[Audience, str],
) -> dict[str, Any]:
    """The values of the empty moment form (as ``MomentForm(data={"start": start})`` with
    these choices shows it): its time, its fields' labels, the tags and the audiences, the
    default one chosen."""
    default = MomentForm.audience.kwargs["default"]
    return {
        "start": format_time(start),
        "labels": {name: _label(name) for name in ("start", "end", "tag", "text", "audience")},
        "end_hint": MomentForm.end.kwargs["description"],
        "time_max": TIME_MAX,
        "note_max": NOTE_MAX,
        "note_rows": MomentForm.text.kwargs["render_kw"]["rows"],
        "text_start": _TEXT_AREA_START,
        "tags": [(value, _shown(label, value)) for value, label in tag_choices],
        "audiences": [(a.value, labels[a], a.value == default) for a in audiences],
    }
