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


class IdConverter(IntegerConverter):
    """``int`` for ids: 1 to :data:`MAX_ID`, digits only; anything else matches no route."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Make :class:`IdConverter` the ``int`` of every route (before any route is added)."""
    app.url_map.converters["int"] = IdConverter
