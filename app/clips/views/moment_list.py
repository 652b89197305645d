"""The moments beside the player, written out once in the view (templates/clips/_moments.html).

Per moment the list shows a time, a tag, a note, who wrote it for whom and two links; worked out
in the template, each piece is a filter, a global or a method called through Jinja's context
(some 300 function calls a moment). Here it is a few attribute reads per piece.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import NamedTuple

from flask import current_app

from app.circle.audience import Audience
from app.clips.models import Tag
from app.clips.services import moments
from app.core.i18n import gettext as _
from app.core.timecode import format_time

#: The mark a moment with one of these tags gets on the timeline (static/js/player.js).
_MARKS = {Tag.NEED.value: "mark-need", Tag.SUCCESS.value: "mark-success"}


class MomentRow(NamedTuple):
    """One moment of the list, as the page writes it; the template unpacks it in this order."""

    id: int
    start: float
    end: float | None
    data_label: str  # the time and the tag, for the timeline's mark
    mark: str | None
    jump: str  # this clip's page at the moment's start (?t= as "%g" writes it)
    span: str  # the time, with its end when it has one
    tag: str  # the tag's class: its value, or "own" for a school's own label
    label: str
    text: str
    byline: str  # who wrote it (or "former member") · for whom
    audience_address: str | None  # None: the viewer may not change or delete it
    delete_address: str | None
    delete_name: str  # the link's name for a screen reader
    adopt_what: str  # what the plan's "adopt" button names: the note, or else the time


def moment_rows(
    shown: Sequence[moments.MomentLine],
    deletable: Collection[int],
    addresses: dict[str, str],
    labels: Mapping[Audience, str] | None = None,
) -> list[MomentRow]:
    """The rows of ``shown``; ``addresses`` holds this clip's page (``here``) and a moment's
    pages with ``{id}`` where its id goes (``moment_audience``, ``delete_moment``), linked for
    the ids in ``deletable``; ``labels``: the audiences' names when the page has them."""
    if labels is None:
        labels = {audience: audience.label for audience in {m.audience for m in shown}}
    # A tag reads the same on every moment, and the words around the values are the same:
    # translated once per list.
    tags: dict[tuple[Tag | None, str | None], str] = {}
    moment_at, former = _("the moment at %(time)s"), _("former member")
    here = addresses["here"]
    truncate = current_app.jinja_env.filters["truncate"]
    rows = []
    for m in shown:
        key = (m.tag, m.own_label)
        if key not in tags:
            tags[key] = moments.label_of_tag(*key)
        label = tags[key]
        time = format_time(m.start_s)
        may = m.id in deletable
        author = m.author_name if m.author_name is not None else former
        rows.append(
            MomentRow(
                id=m.id,
                start=m.start_s,
                end=m.end_s,
                data_label=f"{time} {label}",
                mark=_MARKS.get(m.tag) if m.tag is not None else None,
                jump=f"{here}?t={m.start_s:g}#player",
                span=time if m.end_s is None else f"{time}–{format_time(m.end_s)}",
                tag=str(m.tag) if m.tag else "own",
                label=label,
                text=m.text,
                byline=f"{author} · {labels[m.audience]}",
                audience_address=addresses["moment_audience"].format(id=m.id) if may else None,
                delete_address=addresses["delete_moment"].format(id=m.id) if may else None,
                delete_name=moment_at % {"time": time} if may else "",
                adopt_what=truncate(current_app.jinja_env, m.text or time, 40),
            )
        )
    return rows
