"""Less work per page in the templates: imported macros built once, fixed addresses remembered.

Jinja builds an imported template's module (``{% from "_macros/forms.html" import ... %}``)
anew on every render that passes variables, as every Flask render does: the page's variables
could be globals the macros read. The app's macro templates read only the environment's
globals (``tests/core/test_templating.py`` checks every one), so each is built once per
process and kept.

``fixed_url`` is ``url_for`` for an address without ids (the menu, the stylesheet): the same
on every request under the same script root, remembered for ``assets.RECHECK_SECONDS`` so that
a changed static file still gets its new version (``app.core.assets``).

``id_url`` is ``url_for`` for an address whose values are ids (a child's, a meeting's): built
once per script root with stand-ins for the ids, and the ids put in; ``url_for`` costs some
twenty calls an address, and a page links to the same few routes with its own ids.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, request, url_for
from jinja2 import Template
from jinja2.runtime import Context

from app.core import widgets
from app.core.assets import RECHECK_SECONDS

_fixed: dict[tuple[str, str, tuple[tuple[str, Any], ...]], tuple[float, str]] = {}
_by_ids: dict[tuple[str, str, str | None, tuple[str, ...]], str] = {}

#: Stand-ins for the ids of an address in :func:`id_url`: whole numbers that the routes'
#: converters take, and that nothing else in an address writes.
_STAND_IN = 2147483600


class ImportedOnce(Template):
    """A template whose module, imported without context, is built once."""

    def _get_default_module(self, ctx: Context | None = None) -> Any:
        if self._module is None:
            self._module = self.make_module()
        return self._module


def fixed_url(endpoint: str, **values: Any) -> str:
    """``url_for(endpoint, **values)`` for an address that holds nothing of the request."""
    key = (request.script_root, endpoint, tuple(sorted(values.items())))
    now = time.monotonic()
    found = _fixed.get(key)
    if found is not None and now - found[0] < RECHECK_SECONDS:
        return found[1]
    address = url_for(endpoint, **values)
    _fixed[key] = (now, address)
    return address


def id_url(endpoint: str, hole: str | None = None, /, **ids: int) -> str:
    """``url_for(endpoint, **ids)`` for ``ids`` that are whole numbers, with ``{id}`` where
    the value named ``hole`` goes (as ``paging.address_of_items``, filled in with
    ``.format(id=…)``). The address with stand-ins for the ids holds nothing of the request
    but its script root, so it is built once per script root, endpoint and names, as a
    format string the ids are put into."""
    key = (request.script_root, endpoint, hole, tuple(ids))
    found = _by_ids.get(key)
    if found is None:
        found = _by_ids[key] = _id_pattern(endpoint, hole, list(ids))
    return found.format_map(ids)


def _id_pattern(endpoint: str, hole: str | None, names: list[str]) -> str:
    """The address of ``endpoint`` as a format string: a field for each of ``names``, and
    ``{id}`` (written ``{{id}}``) for ``hole``."""
    stand_ins: dict[str, Any] = {name: _STAND_IN + n for n, name in enumerate(names)}
    if hole is not None:
        stand_ins[hole] = _STAND_IN + len(names)
    text = url_for(endpoint, **stand_ins).replace("{", "{{").replace("}", "}}")
    for name, value in stand_ins.items():
        text = text.replace(str(value), "{{id}}" if name == hole else "{" + name + "}")
    return text


def init_app(app: Flask) -> None:
    app.jinja_env.template_class = ImportedOnce
    app.add_template_global(fixed_url, "fixed_url")
    app.add_template_global(id_url, "id_url")
    app.add_template_global(widgets.field_block, "field_block")
    app.add_template_global(widgets.radio_buttons, "radio_buttons")
