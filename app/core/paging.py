"""Lists in pages, paged in SQL, so a page costs the same one query however long the list
grows (the page's rows, the list's total counted beside them).

    number = page_number(request.args.get("page"))
    page = paginate(db.session, stmt, number, per_page=24)           # rows
    page = paginate(db.session, stmt, number, per_page=24, scalars=True)  # one entity a row

A page number that is not a positive whole number reads as the first page; one past the end
reads as the last, so an old link or a typed address never ends in an error page. A search
by name to narrow a list is :mod:`app.core.search`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import url_for
from sqlalchemy import Select, func, select

from app.core.db import DbSession

#: The longest page number read from an address; a longer one reads as the first page.
MAX_PAGE_DIGITS = 6


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

    def address(self, endpoint: str, values: Mapping[str, Any]) -> tuple[str, str]:
        """The address of any page of this list (:func:`address_of_pages`), for the pager."""
        return address_of_pages(endpoint, **values)

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


def address_of_pages(endpoint: str, **values: Any) -> tuple[str, str]:
    """The address of ``endpoint`` for any page of a list, as what comes before the page's
    number and what comes after it (the pager's links: ``url_for`` once a pager, not once a
    link); ``values`` are the address's other values, after ``page`` as ``url_for`` puts
    them."""
    before, _, after = url_for(endpoint, page=_MARKER, **values).partition(str(_MARKER))
    return before, after


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
    params: Mapping[str, Any] | None = None,
) -> Page:
    """Page ``number`` of ``stmt`` (which sets its own order), ``per_page`` rows, with the
    total; a number past the end gives the last page. ``params``: the values of the bound
    parameters of a ``stmt`` built once. One query: the total is a subquery the database
    counts once beside the page's rows (a window function, ``count() OVER ()``, made SQLite
    keep every row of the list and took twice as long); a second one only for an empty page.
    Raises nothing beyond database errors."""
    total_of = select(func.count()).select_from(stmt.order_by(None).subquery())
    counted = stmt.add_columns(total_of.scalar_subquery().label("list_total"))
    number = max(1, number)
    page = counted.limit(per_page).offset((number - 1) * per_page)
    rows = session.execute(page, params).all()
    if rows:
        total = rows[0][-1]
    else:  # an empty list, or a page past its end
        total = session.scalar(total_of, params) or 0
        last = max(1, math.ceil(total / per_page))
        if number > last:
            return paginate(session, stmt, last, per_page, scalars=scalars, params=params)
    items = [row[0] if scalars else tuple(row[:-1]) for row in rows]
    return Page(items, number, per_page, total)
