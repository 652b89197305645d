"""A search by name that ignores case and the accents of Latin letters: "zoe" finds Zoë,
"celik" finds Çelik, "ZOË" finds Zoe.

    stmt = stmt.where(folded_contains(Child.name_folded, search_text(request.args.get("q"))))

Both sides are folded the same way, by :func:`fold`: the search when it is asked, the name
when it is stored (a column kept beside the name), so that SQL compares plain text and calls
no function per row.
"""

from __future__ import annotations

import unicodedata

from sqlalchemy import ColumnElement, SQLColumnExpression

#: The longest search text read from an address; the rest is ignored.
MAX_QUERY = 100

#: Letters that are not a base letter and marks in Unicode, folded by hand.
_BY_HAND = {"ø": "o", "đ": "d", "ı": "i", "ł": "l", "ß": "ss", "æ": "ae", "œ": "oe"}


def search_text(raw: str | None) -> str:
    """A search as typed, tidied: whitespace runs made one space, ends stripped, cut short."""
    return " ".join((raw or "").split())[:MAX_QUERY]


def fold(text: str | None) -> str | None:
    """``text`` in lower case without accents (None stays None): what a name is stored as
    beside itself, and what a search is compared in."""
    if text is None or text.isascii():
        return text and text.lower()
    plain = unicodedata.normalize("NFKD", text.lower())
    return "".join(_BY_HAND.get(c, c) for c in plain if not unicodedata.combining(c))


def folded_contains(column: SQLColumnExpression[str], query: str) -> ColumnElement[bool]:
    """SQL for "``column``, text stored folded (:func:`fold`), holds ``query``", ignoring case
    and accents; ``%``, ``_`` and the escape character in the query are plain characters."""
    return column.contains(fold(search_text(query)), autoescape=True)
