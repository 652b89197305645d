"""The one converter for the ids in a route's address.

Every id is a database integer. werkzeug's ``int`` takes any number of digits, and an id past
what the database holds (19 or more digits overflow SQLite's 64-bit integer; PostgreSQL's
``integer`` ends at 2,147,483,647) made the query itself fail: a 500 instead of the 404 any
other unknown id gets. :class:`IdConverter` replaces ``int`` for every route, so an address
with such an id matches no route at all.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

#: The largest id any table can hold: PostgreSQL's ``integer`` (SQLite's is larger).
MAX_ID = 2**31 - 1


def up_to(limit: int) -> str:
    """A pattern for the whole numbers 1 to ``limit`` written without leading zeros. Written
    into the pattern, not checked after it: werkzeug, finding a route's address but not its
    number, goes on to the other routes of that address and answers a POST with 405 where a
    GET of it exists, instead of the 404 any other unknown address gets."""
    digits = str(limit)
    shorter = [f"[1-9]\\d{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    same = []
    for i, digit in enumerate(digits):
        low = 1 if i == 0 else 0
        if int(digit) > low:
            rest = len(digits) - i - 1
            tail = f"\\d{{{rest}}}" if rest else ""
            same.append(f"{digits[:i]}[{low}-{int(digit) - 1}]{tail}")
    return "(?:" + "|".join([*shorter, *same, digits]) + ")"


class IdConverter(IntegerConverter):
    """``int`` for ids: 1 to :data:`MAX_ID`, digits only; anything else matches no route."""

    regex = up_to(MAX_ID)

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Make :class:`IdConverter` the ``int`` of every route (before any route is added)."""
    app.url_map.converters["int"] = IdConverter
