"""The moments beside the player, written out once in the view (templates/clips/_moments.html).

Per moment the list shows a time, a tag, a note, who wrote it for whom and two links; worked out
in the template, each piece is a filter, a global or a method called through Jinja's context
(some 300 function calls a moment). Here it is a few attribute reads per piece.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from app.circle.audience import Audience
from app.clips.models import Moment, Tag
from app.clips.services import moments
from app.core.i18n import gettext as _
from app.core.timecode import format_time

#: The mark a moment with one of these tags gets on the timeline (static/js/player.js).
_MARKS = {Tag.NEED.value: "mark-need", Tag.SUCCESS.value: "mark-success"}


@dataclass(frozen=True, slots=True)
class MomentRow:
    """One moment of the list, as the page writes it."""

    id: int
    start: float
    end: float | None
    time: str
    end_time: str
    label: str
    mark: str | None
    jump: str  # the start for ?t=, as "%g" writes it
    tag: str  # the tag's class: its value, or "own" for a school's own label
    text: str
    author: str | None  # None for a former member
    audience: str
    audience_address: str | None  # None: the viewer may not change or delete it
    delete_address: str | None
    delete_name: str  # the link's name for a screen reader


def moment_rows(
    shown: Sequence[Moment],
    deletable: Collection[int],
    addresses: dict[str, str],
    labels: Mapping[Audience, str] | None = None,
) -> list[MomentRow]:
    """The rows of ``shown``; ``addresses`` holds a moment's pages with ``{id}`` where its id
    goes (``moment_audience``, ``delete_moment``), linked for the ids in ``deletable``;
    ``labels``: the audiences' names when the page has them already."""
    if labels is None:
        labels = {audience: audience.label for audience in {m.audience for m in shown}}
    # A tag reads the same on every moment: translated once per list.
    tags: dict[tuple[str | None, int | None], str] = {}
    moment_at = _("the moment at %(time)s")
    rows = []
    for m in shown:
        key = (m.tag, m.custom_tag_id)
        if key not in tags:
            tags[key] = moments.tag_label(m)
        time = format_time(m.start_s)
        may = m.id in deletable
        rows.append(
            MomentRow(
                id=m.id,
                start=m.start_s,
                end=m.end_s,
                time=time,
                end_time=format_time(m.end_s),
                label=tags[key],
                mark=_MARKS.get(m.tag) if m.tag is not None else None,
                jump=f"{m.start_s:g}",
                tag=str(m.tag) if m.tag else "own",
                text=m.text,
                author=m.author.name if m.author else None,
                audience=labels[m.audience],
                audience_address=addresses["moment_audience"].format(id=m.id) if may else None,
                delete_address=addresses["delete_moment"].format(id=m.id) if may else None,
                delete_name=moment_at % {"time": time} if may else "",
            )
        )
    return rows
