"""The agenda's rows on the meeting's page (``meetings/show.html``), drawn once and filled in.

An agenda holds a dozen items or more, and a row the template drew cost the page a call or
more for every value. So the template draws a row once, with a hole (:data:`HOLES`) where an
item's value goes, and the parts a row may have (the clip it is set beside, the school team's
preparation note) once each; :class:`AgendaRows` fills them in for each item, escaped as the
template escapes them (:mod:`app.core.holes`).
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from app.core import holes
from app.core.holes import Holes, esc, esc_all
from app.meetings.services.visible import AgendaLine

#: Where an item's values go in the rows drawn once.
HOLES = Holes("link", "title", "pair", "pair_link", "pair_title", "prep")
#: The holes of each part drawn once (a row, the clip beside, the preparation note): its
#: drawing is searched for those alone.
_ROW = Holes("link", "title", "pair", "prep")
_PAIR, _PREP = Holes("pair_link", "pair_title"), Holes("prep")


@dataclass(frozen=True)
class AgendaRows:
    """The agenda's ``items`` (as the person sees them), with the address of any clip
    (``{id}`` for the clip's id) and whether the preparation notes are shown."""

    items: list[AgendaLine]
    clip_address: str
    sees_notes: bool

    def draw(self, blank: Markup, pair: Markup, prep: Markup) -> Markup:
        """The items' rows: ``blank`` (a row) filled in for each, with ``pair`` (the clip
        it is set beside) and ``prep`` (its preparation note) filled in where it has them."""
        row = holes.pattern(blank, _ROW)
        pair_part, prep_part = holes.pattern(pair, _PAIR), holes.pattern(prep, _PREP)
        address = esc(self.clip_address)  # escaped once: an id (a number) changes nothing of it
        items, notes = self.items, self.sees_notes
        # Every item's texts escaped in one pass, in this order.
        escaped = esc_all(
            [
                *[item.title for item in items],
                *[item.pair_title or "" for item in items],
                *[item.prep_note if notes else "" for item in items],
            ]
        )
        n = len(items)
        drawn = []
        for item, title, pair_title, prep_note in zip(
            items, escaped[:n], escaped[n : 2 * n], escaped[2 * n :], strict=True
        ):
            values = {
                "link": address.format(id=item.clip_id),
                "title": title,
                "pair": "",
                "prep": "",
            }
            if item.pair_title is not None:
                values["pair"] = pair_part.format(
                    pair_link=address.format(id=item.pair_clip_id), pair_title=pair_title
                )
            if notes and item.prep_note:
                values["prep"] = prep_part.format(prep=prep_note)
            drawn.append(row.format_map(values))
        return Markup("".join(drawn))  # noqa: S704 - the values escaped
