"""The language someone reads a page in, kept through the forms they send from it.

``?lang=en`` on an address shows that page in English whatever the saved choice is (a parent
opening a consent text in English from a mail, say). A form on that page posts to an address
without it, so its answer (a refusal shown again, or the page after a redirect) would come back
in the saved language. For a form sent from such a page, the language of the page it was sent
from (the same-origin ``Referer``; the referrer policy is ``same-origin``) counts as asked, and
the redirect after it carries ``?lang=`` on.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from flask import current_app, g, request

_SENT = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def reading_language() -> str | None:
    """The language this request asks for: its own ``?lang=``, or for a form sent from a page
    read with ``?lang=``, that page's. None when neither names a known language."""
    languages: Collection[str] = current_app.config["LANGUAGES"]
    asked = request.args.get("lang")
    if asked is not None:
        return asked if asked in languages else None
    if request.method not in _SENT or g.get("language_chosen"):
        return None
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host:
        return None
    from_page = parse_qs(referrer.query).get("lang", [None])[0]
    return from_page if from_page in languages else None


def language_chosen() -> None:
    """Mark this request as the one choosing a language: the page's ``?lang=`` no longer holds."""
    g.language_chosen = True


def keep_reading_language(response: Any) -> Any:
    """after_request: the redirect after a form sent from a page read with ``?lang=`` keeps it."""
    if request.method not in _SENT or not 300 <= response.status_code < 400:
        return response
    if g.get("language_chosen"):  # the form chose a language: the next page follows it
        return response
    language = reading_language()
    location = response.headers.get("Location")
    if language is None or not location:
        return response
    parts = urlsplit(location)
    if parts.netloc and parts.netloc != request.host:
        return response
    query = parse_qs(parts.query)
    if "lang" in query:
        return response
    query["lang"] = [language]
    response.headers["Location"] = urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
    return response


def without_lang(path: str) -> str:
    """``path`` without its ``?lang=`` (the other parameters kept)."""
    parts = urlsplit(path)
    query = {k: v for k, v in parse_qs(parts.query).items() if k != "lang"}
    return urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
