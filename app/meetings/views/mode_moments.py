"""The players and moments of an item's step in meeting mode (``views/mode.py``): each
player's start and addresses (:func:`players_of`), the list of moments beside each player
and the choices of the moment a need cites.

Both repeat for every moment, and a row drawn by the template cost the step more than all
else it drew (every value a call or more). So ``meetings/mode.html`` draws a row once, with
a hole (:data:`HOLES`) where a moment's value goes, and :class:`MomentRows` fills it in for
each moment, escaped as the template escapes them (:mod:`app.core.holes`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import NamedTuple

from markupsafe import Markup

from app.clips.services.moments import label_of_tag
from app.clips.services.picking import MomentRow
from app.core import holes
from app.core.holes import Holes, esc
from app.core.i18n import gettext as _
from app.meetings.services.steps import ShownClip, ShownItem, ShownNotes

#: Where a moment's values go in the rows drawn once.
HOLES = Holes(
    "start",
    "end",
    "time",
    "label",
    "mark",
    "address",
    "jump",
    "tag",
    "text",
    "player",
    "value",
    "selected",
    "next",
)

#: The holes as the template reads them: plain attributes, each read one call (a template
#: reads every hole of the blanks once a step).
BLANK_HOLES = SimpleNamespace(**HOLES)

#: The tags whose moments are marked on the timeline, and how.
_MARKS = {"need": "need", "success": "success"}


def player_of(item: ShownItem, clip_id: int | None) -> str:
    """The id of the player element of ``clip_id`` in ``item``'s section."""
    side = "b" if clip_id is not None and clip_id == item.pair_clip_id else "a"
    return f"player-{item.id}-{side}"


class Player(NamedTuple):
    """A player of an item's step: its clip, its element's id (:func:`player_of`), where it
    starts (the item's moment when it is in this clip, else 0), and the addresses of its
    video and poster (None: no poster)."""

    clip: ShownClip
    id: str
    start: float
    video: str
    poster: str | None


def players_of(item: ShownItem, video_address: str, poster_address: str) -> list[Player]:
    """The players of ``item``'s step: its clip's, and the clip's beside it if it has one;
    the addresses of a clip's video and poster ``{id}`` for its id."""
    moment = item.moment
    return [
        Player(
            clip,
            player_of(item, clip.id),
            moment.start_s if moment is not None and moment.clip_id == clip.id else 0,
            video_address.format(id=clip.id),
            poster_address.format(id=clip.id) if clip.poster_key else None,
        )
        for clip in (item.clip, item.pair_clip)
        if clip is not None
    ]


class CitedLink(NamedTuple):
    """The link to the moment a need cites: its address on its clip's page, its start, the
    player of the step it plays in (:func:`player_of`) and its time as the page writes it."""

    address: str
    start: float
    player: str
    time: str


def cited_link(
    item: ShownItem,
    notes: ShownNotes | None,
    clip_address: str,
    write: Callable[[float], str],
) -> CitedLink | None:
    """The link to the moment ``item``'s saved ``notes`` cite (None: none); ``clip_address``
    a clip's address, ``{id}`` for its id; times written by ``write``."""
    moment = notes.need_moment if notes is not None else None
    if moment is None:
        return None
    start = moment.start_s
    return CitedLink(
        f"{clip_address.format(id=moment.clip_id)}?t={start:g}#player",
        start,
        player_of(item, moment.clip_id),
        write(start),
    )


class MomentTexts(NamedTuple):
    """How a moment reads on the page, worked out once for its list and its choices: its
    time, its tag, and its start as its address and ``data-start`` write it."""

    time: str
    label: str
    start: str


def texts_of(
    moments: dict[int, list[MomentRow]], write: Callable[[float], str]
) -> dict[int, MomentTexts]:
    """The texts of ``moments`` (lists by clip) by moment id, their times written by
    ``write`` (``mode_steps.time_writer``), each tag's label said once."""
    labels = dict[str, str]()
    texts = {}
    for listed in moments.values():
        for m in listed:
            tag = m.tag
            if tag is None:
                label = label_of_tag(None, m.own_label)
            else:
                label = labels.get(tag) or labels.setdefault(tag, label_of_tag(tag, None))
            texts[m.id] = MomentTexts(write(m.start_s), label, f"{m.start_s:g}")
    return texts


class MomentChoice(NamedTuple):
    """A choice of the moment a need cites: its ``render_kw`` tells static/js/meeting-mode.js
    where the cited moment plays."""

    value: str
    label: str
    render_kw: dict[str, str] | None = None


def moment_choices(
    item: ShownItem, moments: dict[int, list[MomentRow]], texts: dict[int, MomentTexts]
) -> list[MomentChoice]:
    """The choices of the moment ``item``'s need cites: none, or one of its clips'."""
    cited = [*moments.get(item.clip_id, []), *moments.get(item.pair_clip_id or 0, [])]
    clips = [clip for clip in (item.clip, item.pair_clip) if clip is not None]
    titles = {clip.id: clip.title for clip in clips}
    players = {clip.id: player_of(item, clip.id) for clip in clips}
    return [MomentChoice("", _("No moment"))] + [
        MomentChoice(
            str(m.id),
            f"{texts[m.id].time} · {texts[m.id].label} ({titles[m.clip_id]})",
            {"data-cite-player": players[m.clip_id], "data-start": texts[m.id].start},
        )
        for m in cited
    ]


@dataclass(frozen=True)
class MomentRows:
    """The moments of a step by clip id (``notes.moments_for``) and their texts by moment
    id, the choices of the cited moment and the value chosen (``cited``), and the address
    of a clip (``clip_address``, ``{id}`` for its id): drawn into the rows the template
    draws once."""

    moments: dict[int, list[MomentRow]]
    texts: dict[int, MomentTexts]
    choices: list[MomentChoice]
    cited: str
    clip_address: str

    def draw(self, blanks: Markup) -> tuple[dict[int, Markup], Markup]:
        """The list of each clip's moments by clip id and the options of the cited moment,
        from ``blanks``: a moment's row, its end, its mark on the timeline and its text,
        the choice of no moment and of a moment, parted by ``HOLES.next``."""
        row, end, mark, text, plain, playing = holes.pattern(blanks, HOLES).split("{next}")
        # What a moment's tag and label draw (its label escaped, its mark, the tag's class),
        # worked out once for each that the moments share.
        kinds: dict[tuple[str | None, str], tuple[str, str, str]] = {}
        lists = {}
        for clip_id, listed in self.moments.items():
            address = esc(self.clip_address.format(id=clip_id))
            drawn = []
            for m in listed:
                time, label, jump = self.texts[m.id]
                tag, end_s, note = m.tag, m.end_s, m.text
                kind = kinds.get((tag, label))
                if kind is None:
                    marked = mark.format(mark=_MARKS[tag]) if tag in _MARKS else ""
                    kind = kinds[tag, label] = (esc(label), marked, tag or "own")
                shown, marked, tag_class = kind
                drawn.append(
                    row.format(
                        start=m.start_s,
                        end=end.format(end=end_s) if end_s is not None else "",
                        time=time,
                        label=shown,
                        mark=marked,
                        address=address,
                        jump=jump,
                        tag=tag_class,
                        text=text.format(text=esc(note)) if note else "",
                    )
                )
            lists[clip_id] = Markup("".join(drawn))  # noqa: S704 - the values escaped
        return lists, self._options(plain, playing)

    def _options(self, plain: str, playing: str) -> Markup:
        drawn = []
        for value, label, render_kw in self.choices:
            selected = "selected " if value == self.cited else ""
            if render_kw is None:
                drawn.append(plain.format(selected=selected, value=value, label=esc(label)))
                continue
            drawn.append(
                playing.format(
                    player=render_kw["data-cite-player"],
                    jump=render_kw["data-start"],
                    selected=selected,
                    value=value,
                    label=esc(label),
                )
            )
        return Markup("".join(drawn))  # noqa: S704 - the values escaped
