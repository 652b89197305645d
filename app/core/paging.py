"""Lists in pages, and a search by name: paged in SQL, so a page costs the same one query
however long the list grows (the page's rows, the list's total counted beside them).

    number = page_number(request.args.get("page"))
    page = paginate(db.session, stmt, number, per_page=24)           # rows
    page = paginate(db.session, stmt, number, per_page=24, scalars=True)  # one entity a row
    stmt = stmt.where(name_contains(Child.name, request.args.get("q", "")))

A page number that is not a positive whole number reads as the first page; one past the end
reads as the last, so an old link or a typed address never ends in an error page.

A search by name ignores case and the accents of Latin letters: "zoe" finds Zoë, "celik" finds
Çelik, "ZOË" finds Zoe. Both sides are folded the same way, the search in Python and the column
in SQL (:class:`folded`): on SQLite by :func:`fold` itself, registered as a function on every
new connection; on PostgreSQL by ``translate`` over ``lower`` with the same table.
"""

from __future__ import annotations

import math
import sqlite3
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import url_for
from sqlalchemy import (
    ColumnElement,
    Engine,
    Select,
    SQLColumnExpression,
    String,
    event,
    func,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from app.core.db import DbSession

#: The longest page number and search text read from an address; the rest is ignored.
MAX_PAGE_DIGITS = 6
MAX_QUERY = 100

#: Letters that are not a base letter and marks in Unicode, folded by hand.
_BY_HAND = {"ø": "o", "đ": "d", "ı": "i", "ł": "l", "ß": "ss", "æ": "ae", "œ": "oe"}
SQL_FUNCTION = "beeldbrug_fold"


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows, its number (from 1), the page size and the list's total."""

    items: Sequence[Any]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages the list has: at least one, empty or not."""
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first(self) -> int:
        """The position (from 1) of the page's first row in the whole list; 0 when empty."""
        return (self.number - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self) -> int:
        """The position of the page's last row in the whole list; 0 when empty."""
        return self.first + len(self.items) - 1 if self.items else 0

    def window(self, around: int = 1) -> list[int | None]:
        """The page numbers to link: the first, the last, and ``around`` either side of this
        one, in order; None where numbers are left out."""
        shown = sorted(
            {1, self.pages}
            | set(range(max(1, self.number - around), min(self.pages, self.number + around) + 1))
        )
        out: list[int | None] = []
        for n in shown:
            if out and n - (out[-1] or 0) > 1:
                out.append(None)
            out.append(n)
        return out


#: An id no row has (the largest 32-bit integer): where :func:`address_of_items` puts ``{id}``.
_MARKER = 2147483647


def address_of_items(endpoint: str, key: str, **values: Any) -> str:
    """The address of ``endpoint`` for any item of a list, with ``{id}`` where the item's
    ``key`` goes: built once per list and filled in per item (``.format(id=…)``), because
    ``url_for`` on every card of a page costs more than the rest of the card."""
    values = {**values, key: _MARKER}
    return url_for(endpoint, **values).replace(str(_MARKER), "{id}")


def page_number(raw: str | None) -> int:
    """The page asked for in an address (``?page=``): a positive whole number, else 1."""
    text = (raw or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > MAX_PAGE_DIGITS:
        return 1
    return max(1, int(text))


def paginate(
    session: DbSession,
    stmt: Select[*tuple[Any, ...]],
    number: int,
    per_page: int,
    *,
    scalars: bool = False,
) -> Page:
    """Page ``number`` of ``stmt`` (which sets its own order), ``per_page`` rows, with the
    total; a number past the end gives the last page. One query: the total is a subquery the
    database counts once beside the page's rows (a window function, ``count() OVER ()``, made
    SQLite keep every row of the list and took twice as long); a second one only for an empty
    page. Raises nothing beyond database errors."""
    total_of = select(func.count()).select_from(stmt.order_by(None).subquery())
    counted = stmt.add_columns(total_of.scalar_subquery().label("list_total"))
    number = max(1, number)
    rows = session.execute(counted.limit(per_page).offset((number - 1) * per_page)).all()
    if rows:
        total = rows[0][-1]
    else:  # an empty list, or a page past its end
        total = session.scalar(total_of) or 0
        last = max(1, math.ceil(total / per_page))
        if number > last:
            return paginate(session, stmt, last, per_page, scalars=scalars)
    items = [row[0] if scalars else tuple(row[:-1]) for row in rows]
    return Page(items, number, per_page, total)


def search_text(raw: str | None) -> str:
    """A search as typed, tidied: whitespace runs made one space, ends stripped, cut short."""
    return " ".join((raw or "").split())[:MAX_QUERY]


def fold(text: str | None) -> str | None:
    """``text`` in lower case without accents (None stays None): the same folding as
    :class:`folded` gives a column in SQL."""
    if text is None or text.isascii():
        return text and text.lower()
    plain = unicodedata.normalize("NFKD", text.lower())
    return "".join(_BY_HAND.get(c, c) for c in plain if not unicodedata.combining(c))


#: :func:`fold` of every lower-case letter of Latin-1 and Latin Extended-A that it changes:
#: the table PostgreSQL folds with.
FOLDS: dict[str, str] = {
    c: f
    for c in map(chr, range(0xDF, 0x180))
    if c.islower() and (f := fold(c) or c) != c and f.isascii()
}


class folded(FunctionElement[str]):  # noqa: N801  (used like a SQL function)
    """SQL for a text column in lower case without accents, as :func:`fold` gives it."""

    type = String()
    inherit_cache = True


@compiles(folded)
def _folded_sqlite(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{SQL_FUNCTION}({compiler.process(element.clauses, **kw)})"


@compiles(folded, "postgresql")
def _folded_postgresql(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    # translate() maps one character to one: the few two-letter folds (ß, æ, œ) are replaced
    # first. The table is a constant of this module, never user input.
    expr = f"lower({compiler.process(element.clauses, **kw)})"
    for c, plain in FOLDS.items():
        if len(plain) > 1:
            expr = f"replace({expr}, '{c}', '{plain}')"
    single = {c: plain for c, plain in FOLDS.items() if len(plain) == 1}
    return f"translate({expr}, '{''.join(single)}', '{''.join(single.values())}')"


@event.listens_for(Engine, "connect")
def _register_fold(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function(SQL_FUNCTION, 1, fold, deterministic=True)


def name_contains(column: SQLColumnExpression[str], query: str) -> ColumnElement[bool]:
    """SQL for "``column`` holds ``query``", ignoring case and accents; ``%``, ``_`` and the
    escape character in the query are plain characters."""
    return folded(column).contains(fold(search_text(query)), autoescape=True)
