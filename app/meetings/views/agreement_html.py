"""The rows of the agreements part (``meetings/_agreements.html``), drawn once and filled in.

The part repeats a row for every agreement, and a row drawn by the template cost the page
more than all else it drew (every value a call or more). So the template draws each kind of
row once, with a hole (:data:`HOLES`) where a row's value goes, and :class:`AgreementRows`
puts each row's values in their holes, escaped as the template escapes them
(:mod:`app.core.holes`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from sqlalchemy import Row

from app.core import holes
from app.core.holes import Holes, esc

#: Where a row's values go in the rows drawn once.
HOLES = Holes(
    "id",
    "link",
    "text",
    "facts",
    "state",
    "status",
    "overdue",
    "what",
    "remove",
    "made_in",
    "review",
    "reviewed",
    "note",
    "form",
    "address",
    "version",
    "options",
)


#: The holes each kind of row drawn once has (``made_row``, ``review_row``,
#: ``reviewed_here``, ``review_form``): its drawing is searched for those alone.
_MADE_ROW = Holes("id", "link", "text", "facts", "state", "status", "overdue", "what", "remove")
_REVIEW_ROW = Holes(
    "id", "link", "text", "facts", "state", "status", "overdue", "made_in", "review", "form"
)
_REVIEWED = Holes("reviewed", "note")
_REVIEW_FORM = Holes("id", "address", "version", "options", "note", "what")


def pattern(blank: Markup, kind: Holes = HOLES) -> str:
    """``blank``, drawn with :data:`HOLES`, as a format string (:func:`app.core.holes.pattern`)
    with a field for each of the holes of its ``kind`` of row; ValueError when it has another."""
    text = holes.pattern(blank, kind)
    if "\x00" in text:  # a hole of another kind: it would show as it is
        raise ValueError("a hole not of this kind of row")
    return text


@dataclass(frozen=True)
class AgreementRows:
    """The rows of the agreements part: those made in the meeting (``made``) and those it
    reviews (``listed``), rows of ``agreement_rows``, with their ``lines``
    (``agreement_lines.agreement_lines``, escaped already) and the addresses of the agreements and
    their forms; while the meeting is led, the status's options by the status chosen and the
    review forms sent back (with their errors) by agreement id."""

    made: list[Row[Any]]
    listed: list[Row[Any]]
    lines: dict[int, Any]
    agreement_address: str
    remove_address: str
    review_address: str
    options: dict[str | None, Markup]
    sent_back_forms: dict[int, Any]

    def _common(self, a: Row[Any], link: str, overdue: str) -> dict[str, Any]:
        line = self.lines[a.id]
        return {
            "id": a.id,  # a number: nothing to escape
            "link": link.format(id=a.id),
            "text": line.text,
            "facts": line.facts,
            "state": "granted" if line.done else "unanswered",
            "status": line.status,
            "overdue": overdue if line.overdue else "",
            "what": line.short,
        }

    def draw_made(self, blank: Markup, overdue: Markup) -> Markup:
        """The rows of the agreements made: ``blank`` (``made_row``) filled in for each."""
        row = pattern(blank, _MADE_ROW)
        # The addresses escaped once: an id (a number) changes nothing of that.
        link, remove = esc(self.agreement_address), esc(self.remove_address)
        return Markup(  # noqa: S704 - the values escaped
            "".join(
                [
                    row.format_map(
                        self._common(a, link, overdue) | {"remove": remove.format(id=a.id)}
                    )
                    for a in self.made
                ]
            )
        )

    def draw_to_review(
        self,
        blank: Markup,
        overdue: Markup,
        reviewed: Markup,
        form: Markup,
        sent_back: Callable[..., Markup],
    ) -> Markup:
        """The rows of the earlier agreements: ``blank`` (``review_row``) filled in for
        each, with its review here (``reviewed``) and its form: ``form`` filled in, or the
        form sent back with its errors drawn by ``sent_back`` (none when ``form`` is
        empty: the meeting is not led)."""
        row, review_line = pattern(blank, _REVIEW_ROW), pattern(reviewed, _REVIEWED)
        review_form = pattern(form, _REVIEW_FORM)
        link, review_address = esc(self.agreement_address), esc(self.review_address)
        drawn = []
        for a in self.listed:
            line = self.lines[a.id]
            review, note, status = "", "", None
            if a.review_id is not None:
                note, status = line.note, a.review_status  # a StrEnum: its value as a key
                review = review_line.format(
                    reviewed=line.reviewed, note=" — " + note if note else ""
                )
            if not form:
                shown = ""
            elif a.id in self.sent_back_forms:
                address = self.review_address.format(id=a.id)
                what = Markup(line.short)  # noqa: S704 - escaped
                shown = str(sent_back(self.sent_back_forms[a.id], address, what))
            else:
                shown = review_form.format(
                    id=f"review-{a.id}",
                    address=review_address.format(id=a.id),
                    version=a.version,
                    options=self.options[status],
                    note=note,
                    what=line.short,
                )
            values = self._common(a, link, overdue)
            values.update(made_in=line.made_in, review=review, form=shown)
            drawn.append(row.format_map(values))
        return Markup("".join(drawn))  # noqa: S704 - the values escaped
