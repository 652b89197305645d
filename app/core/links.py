"""Addresses that leave the portal (in a mail, a calendar file, a document): the address people
open (``BASE_URL``) and the page's path, built the same inside a request and outside one (a
job in the worker, a command), where Flask alone cannot build them."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for


def absolute_url(endpoint: str, **values: Any) -> str:
    """The full address of ``endpoint`` with ``values`` under ``BASE_URL``."""
    base = current_app.config["BASE_URL"].rstrip("/")
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)
