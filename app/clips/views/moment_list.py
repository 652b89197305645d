"""The moments beside the player (templates/clips/_moments.html), drawn once and filled in.

Per moment the list shows a time, a tag, a note, who wrote it for whom and two links. Drawn
by the template, each value of each row is a call or more (escaping it, looking it up); so the
template draws a row once, with a hole (:data:`HOLES`) where each of a row's values goes, and
:class:`MomentRows` puts each moment's values in their holes, escaped as the template escapes
them (:mod:`app.core.holes`): a few attribute reads and one format a moment.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from flask import current_app
from markupsafe import Markup

from app.circle.audience import Audience
from app.clips.models import Tag
from app.clips.services import moments
from app.core import holes
from app.core.holes import Holes, esc
from app.core.i18n import gettext as _
from app.core.timecode import decimal_mark, format_time

#: The mark a moment with one of these tags gets on the timeline (static/js/player.js).
_MARKS = {Tag.NEED.value: "mark-need", Tag.SUCCESS.value: "mark-success"}

#: Where a row's values go in the pieces drawn once: the row itself, and the parts of it that
#: only some moments have (an end, a mark, a note, the links to change or delete it).
HOLES = Holes(
    "id",
    "start",
    "end",
    "data_label",
    "mark",
    "jump",
    "span",
    "tag",
    "label",
    "text",
    "byline",
    "links",
    "audience_address",
    "delete_address",
    "delete_name",
    "adopt_what",
)

#: The note of the "adopt" button: the moment's note or time, cut as ``|truncate(40)`` cuts it.
_ADOPT_LENGTH = 40


def _time(seconds: float, mark: str) -> str:
    """``format_time(seconds)`` with the page's decimal mark looked up once per list: the
    whole seconds written by ``format_time``, the tenths here."""
    whole, tenth = divmod(round(seconds * 10), 10)
    return f"{format_time(whole)}{mark}{tenth}" if tenth else format_time(whole)


#: The holes of each piece drawn once (a piece's format string is made by looking for these).
_LINKS = Holes("audience_address", "delete_address", "delete_name")
_ROW = Holes(*(name for name in HOLES if name not in _LINKS))


@dataclass(frozen=True)
class MomentRows:
    """The moments of the list (``shown``); ``addresses`` holds this clip's page (``here``) and
    a moment's pages with ``{id}`` where its id goes (``moment_audience``, ``delete_moment``),
    linked for the ids in ``deletable``; ``labels``: the audiences' names."""

    shown: Sequence[moments.MomentLine]
    deletable: Collection[int]
    addresses: Mapping[str, str]
    labels: Mapping[Audience, str]

    def draw(self, blank: Markup, end: Markup, mark: Markup, text: Markup, links: Markup) -> Markup:
        """The rows: ``blank`` filled in for each moment, with ``end``, ``mark``, ``text`` and
        ``links`` filled in where the moment has them (each drawn with :data:`HOLES`)."""
        row = holes.pattern(blank, _ROW)
        end_of, mark_of = holes.pattern(end, Holes("end")), holes.pattern(mark, Holes("mark"))
        text_of, links_of = holes.pattern(text, Holes("text")), holes.pattern(links, _LINKS)
        # A tag reads the same on every moment, and the words around the values are the same:
        # translated once per list.
        tags: dict[tuple[Tag | None, str | None], str] = {}
        authors: dict[str | None, str] = {None: esc(_("former member"))}
        # The words and addresses around the values escaped once: a time, an id and the
        # format's fields are nothing to escape.
        moment_at = esc(_("the moment at %(time)s"))
        here = esc(self.addresses["here"])
        audience_address = esc(self.addresses["moment_audience"])
        delete_address = esc(self.addresses["delete_moment"])
        labels = {audience: esc(label) for audience, label in self.labels.items()}
        env = current_app.jinja_env
        truncate = env.filters["truncate"]
        leeway = _ADOPT_LENGTH + env.policies["truncate.leeway"]
        decimal = decimal_mark()
        drawn = []
        for m in self.shown:
            key = (m.tag, m.own_label)
            label = tags.get(key)
            if label is None:
                label = tags[key] = esc(moments.label_of_tag(*key))
            author = authors.get(m.author_name)
            if author is None:
                author = authors[m.author_name] = esc(m.author_name)  # type: ignore[arg-type]
            time = _time(m.start_s, decimal)
            note = esc(m.text) if m.text else ""
            if len(m.text) > leeway:  # shorter ones |truncate leaves as they are
                adopt_what = esc(truncate(env, m.text, _ADOPT_LENGTH))
            else:
                adopt_what = note or time
            linked = ""
            if m.id in self.deletable:
                linked = links_of.format(
                    audience_address=audience_address.format(id=m.id),
                    delete_address=delete_address.format(id=m.id),
                    delete_name=moment_at % {"time": time},
                )
            drawn.append(
                row.format(
                    id=m.id,
                    start=m.start_s,
                    end="" if m.end_s is None else end_of.format(end=m.end_s),
                    data_label=f"{time} {label}",
                    mark=mark_of.format(mark=_MARKS[m.tag]) if m.tag in _MARKS else "",
                    jump=f"{here}?t={m.start_s:g}#player",
                    span=time if m.end_s is None else f"{time}–{_time(m.end_s, decimal)}",
                    tag=m.tag if m.tag else "own",
                    label=label,
                    text=text_of.format(text=note) if note else "",
                    byline=f"{author} · {labels[m.audience]}",
                    links=linked,
                    adopt_what=adopt_what,
                )
            )
        return Markup("".join(drawn))  # noqa: S704 - the values escaped


def moment_rows(
    shown: Sequence[moments.MomentLine],
    deletable: Collection[int],
    addresses: dict[str, str],
    labels: Mapping[Audience, str] | None = None,
) -> MomentRows:
    """The rows of ``shown`` (see :class:`MomentRows`); ``labels``: the audiences' names when
    the page has them already."""
    audiences = {m.audience for m in shown}
    if labels is None:
        return MomentRows(shown, deletable, addresses, {a: a.label for a in audiences})
    return MomentRows(shown, deletable, addresses, {a: labels[a] for a in audiences})
