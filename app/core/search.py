"""A search by name that ignores case and the accents of Latin letters: "zoe" finds Zoë,
"celik" finds Çelik, "ZOË" finds Zoe.

    stmt = stmt.where(name_contains(Child.name, search_text(request.args.get("q"))))

Both sides are folded the same way, the search in Python and the column in SQL
(:class:`folded`): on SQLite by :func:`fold` itself, registered as a function on every new
connection; on PostgreSQL by ``translate`` over ``lower`` with the same table.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Engine, SQLColumnExpression, String, event
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

#: The longest search text read from an address; the rest is ignored.
MAX_QUERY = 100

#: Letters that are not a base letter and marks in Unicode, folded by hand.
_BY_HAND = {"ø": "o", "đ": "d", "ı": "i", "ł": "l", "ß": "ss", "æ": "ae", "œ": "oe"}
SQL_FUNCTION = "beeldbrug_fold"


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


#: :func:`fold` for SQLite, which calls it for every row a search looks at (a coach's thousand
#: children on every search): the same names come back search after search, and a remembered
#: one is a look-up in C instead of a Python call.
_fold_remembered = lru_cache(maxsize=4096)(fold)


@event.listens_for(Engine, "connect")
def _register_fold(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function(SQL_FUNCTION, 1, _fold_remembered, deterministic=True)


def name_contains(column: SQLColumnExpression[str], query: str) -> ColumnElement[bool]:
    """SQL for "``column`` holds ``query``", ignoring case and accents; ``%``, ``_`` and the
    escape character in the query are plain characters."""
    return folded(column).contains(fold(search_text(query)), autoescape=True)
