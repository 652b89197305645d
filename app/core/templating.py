"""Less work per page in the templates: imported macros built once, fixed addresses remembered.

Jinja builds an imported template's module (``{% from "_macros/forms.html" import ... %}``)
anew on every render that passes variables, as every Flask render does: the page's variables
could be globals the macros read. The app's macro templates read only the environment's
globals (``tests/core/test_templating.py`` checks every one), so each is built once per
process and kept.

``fixed_url`` is ``url_for`` for an address without ids (the menu, the stylesheet): the same
on every request under the same script root, remembered for ``assets.RECHECK_SECONDS`` so that
a changed static file still gets its new version (``app.core.assets``).
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


def init_app(app: Flask) -> None:
    app.jinja_env.template_class = ImportedOnce
    app.add_template_global(fixed_url, "fixed_url")
    app.add_template_global(widgets.field_block, "field_block")
    app.add_template_global(widgets.radio_buttons, "radio_buttons")
