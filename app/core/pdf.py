"""Printed documents: render an HTML print layout to a tagged PDF.

:func:`render_pdf` renders ``templates/pdf/…`` and hands the HTML to WeasyPrint with a URL
fetcher that serves only Beeldbrug's own ``static/`` files, ``data:`` URLs, and the stored
media files the calling service has already authorised for this one document (a meeting
summary's posters: the template writes ``media_url(key)``). Remote URLs, ``file:`` URLs outside
``static/`` and any stored file the caller did not allow are refused, so a value in a document
can never make the server fetch something (indico's ``receipts/util.py`` does the same).

The PDF is tagged as PDF/UA-1, so screen readers get its structure: headings, paragraphs,
tables, the language (from ``<html lang>``), the title (from ``<title>``) and the alternative
text of every image. Print layouts therefore give every ``<img>`` an ``alt``.

Sealing the PDF, the keys it is sealed with and verifying a copy live in :mod:`app.core.seal`.
"""

from __future__ import annotations

import contextlib
import logging
import mimetypes
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit
from urllib.request import url2pathname

from flask import current_app, has_request_context, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from app.core import storage

log = logging.getLogger("beeldbrug.pdf")

#: The made-up origin print templates are rendered at; it never reaches the network.
PRINT_BASE_URL = "https://print.beeldbrug.invalid/"
#: The path below PRINT_BASE_URL where authorised stored media are found.
MEDIA_PATH = "/_media/"
#: PDF/UA-2 (on PDF 2.0): tagged, with the language, title and alternative texts screen readers
#: need. PDF 2.0, because sealing with an EC key raises a file to 2.0 anyway.
PDF_VARIANT = "pdf/ua-2"


class StaticOnlyFetcher(URLFetcher):  # type: ignore[misc]  # weasyprint ships no type information
    """A WeasyPrint URL fetcher for static files, ``data:`` URLs and authorised media only.

    ``http(s)`` URLs are mapped to local files when their origin is one of ``origins`` and
    their path starts with ``prefix`` (what ``url_for('static', filename='')`` gives);
    ``file:`` URLs must point into the static folder. ``media`` maps the storage keys the
    caller authorised to their files; they are found at ``PRINT_BASE_URL`` + ``_media/<key>``
    (see :func:`media_url`). Everything else raises ValueError, which WeasyPrint logs and
    skips.
    """

    def __init__(
        self,
        static_folder: Path,
        prefix: str,
        origins: Iterable[str],
        media: Mapping[str, Path] | None = None,
    ) -> None:
        super().__init__(timeout=1, allowed_protocols={"data"}, allow_redirects=False)
        self.static_root = Path(static_folder).resolve()
        self.prefix = prefix if prefix.endswith("/") else prefix + "/"
        self.origins = {o.rstrip("/").lower() for o in origins if o}
        self.media = dict(media or {})

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url[:5].lower() == "data:":
            return super().fetch(url, headers)
        path = self.media_path(url) or self.local_path(url)
        if path is None:
            log.warning("refused a resource in a PDF: %.120s", url)
            raise ValueError("only static files and authorised media may be used in a PDF")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})

    def media_path(self, url: str) -> Path | None:
        """The stored file ``url`` stands for, when the caller authorised it; else None."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        if origin != PRINT_BASE_URL.rstrip("/") or not parts.path.startswith(MEDIA_PATH):
            return None
        if parts.query or parts.fragment:
            return None
        path = self.media.get(unquote(parts.path[len(MEDIA_PATH) :]))
        return path if path is not None and path.is_file() else None

    def local_path(self, url: str) -> Path | None:
        """The static file ``url`` stands for, or None when it is not one."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "file":
            if parts.netloc not in ("", "localhost"):
                return None
            candidate = Path(url2pathname(parts.path))  # url2pathname also unquotes
        elif scheme in ("http", "https"):
            if f"{scheme}://{parts.netloc}".lower() not in self.origins:
                return None
            if not parts.path.startswith(self.prefix):
                return None
            candidate = self.static_root / unquote(parts.path[len(self.prefix) :])
        else:
            return None
        try:
            resolved = candidate.resolve()
        except (OSError, RuntimeError):
            return None
        if not resolved.is_relative_to(self.static_root) or not resolved.is_file():
            return None
        return resolved


def media_url(key: str) -> str:
    """The URL a print template uses for the stored file ``key`` (see :func:`render_pdf`)."""
    return f"{PRINT_BASE_URL.rstrip('/')}{MEDIA_PATH}{quote(str(key), safe='/')}"


def static_fetcher(media_keys: Iterable[str] = ()) -> StaticOnlyFetcher:
    """The fetcher for the current app (needs a request context for the static prefix).

    ``media_keys`` are the stored files the document may show. Raises
    storage.InvalidKeyError for a key storage never handed out.
    """
    origins = {PRINT_BASE_URL, current_app.config.get("BASE_URL", "")}
    if has_request_context():
        origins.add(request.host_url)
    media = {key: storage.path_of(key) for key in media_keys}
    return StaticOnlyFetcher(
        Path(current_app.static_folder or "static"),
        url_for("static", filename=""),
        origins,
        media,
    )


def _css_string(text: str) -> str:
    escaped = "".join(
        f"\\{ord(c):x} " if c in '"\\<>' or ord(c) < 0x20 or ord(c) == 0x7F else c for c in text
    )
    return f'"{escaped}"'


def page_counter_content() -> Markup:
    """The CSS ``content`` value for "page X of Y" in the current language.

    Translators see one sentence with ``%(page)s`` and ``%(pages)s`` and may put them in any
    order; the pieces become CSS strings around ``counter(page)`` and ``counter(pages)``.
    """
    text = _("page %(page)s of %(pages)s", page="\x01", pages="\x02")
    pieces: list[str] = []
    for chunk in re.split(r"([\x01\x02])", text):
        if chunk == "\x01":
            pieces.append("counter(page)")
        elif chunk == "\x02":
            pieces.append("counter(pages)")
        elif chunk:
            pieces.append(_css_string(chunk))
    return Markup(" ".join(pieces))  # noqa: S704 - built from escaped CSS strings only


@contextlib.contextmanager
def print_context(language: str | None = None) -> Iterator[None]:
    """Render in ``language`` (default: the current one), with a request context if none exists.

    ``url_for()`` and the locale need a request; CLI commands and jobs render without one.
    """
    with contextlib.ExitStack() as stack:
        if not has_request_context():
            stack.enter_context(
                current_app.test_request_context(base_url=current_app.config["BASE_URL"])
            )
        if language:
            stack.enter_context(force_locale(language))
        yield


def render_pdf(template: str, *, media_keys: Iterable[str] = (), **values: Any) -> bytes:
    """Render ``templates/<template>`` (a ``pdf/…`` print layout) to tagged PDF/UA-1 bytes.

    ``values`` are the template's variables; ``page_counter`` (the footer's "page X of Y") and
    ``media_url`` (a function: storage key → URL) are added. ``media_keys`` are the stored
    files the calling service has authorised for this document; any other stored file, like
    any remote or ``file:`` URL, is refused. Works with or without a request. The current
    locale is used: wrap the call in :func:`print_context` with a language to print in the
    reader's language. Raises ValueError for a template outside ``pdf/``,
    storage.InvalidKeyError for a media key storage never handed out; WeasyPrint's errors
    propagate. Resources the fetcher refuses are left out of the document (and logged).
    """
    if not template.startswith("pdf/") or ".." in template:
        raise ValueError(f"print templates live in templates/pdf/: {template!r}")
    with print_context():
        values.setdefault("page_counter", page_counter_content())
        values.setdefault("media_url", media_url)
        html = render_template(template, **values)
        fetcher = static_fetcher(media_keys)
        document = HTML(
            string=html, base_url=PRINT_BASE_URL, url_fetcher=fetcher, media_type="print"
        )
        pdf: bytes = document.write_pdf(pdf_variant=PDF_VARIANT, finisher=scope_table_headers)
        return pdf


def scope_table_headers(document: Any, pdf: Any) -> None:
    """Give every tagged table header cell its scope (PDF/UA asks for ``/Scope`` on a ``TH``),
    which WeasyPrint leaves out: a header cell in the table's head is a column's header, one
    in its body a row's (as ``<th scope="row">``). A WeasyPrint ``finisher``: it sees the
    structure elements just before the file is written."""
    elements: dict[Any, dict[str, Any]] = {
        getattr(obj, "reference"): obj  # noqa: B009 - pydyf objects carry their reference
        for obj in pdf.objects
        if isinstance(obj, dict) and obj.get("Type") == "/StructElem"
    }
    for element in elements.values():
        if element.get("S") != "/TH":
            continue
        row = elements.get(element.get("P"))
        section = elements.get(row.get("P")) if row is not None else None
        in_head = section is not None and section.get("S") == "/THead"
        attributes = element.get("A")
        if isinstance(attributes, dict):
            attributes["Scope"] = "/Column" if in_head else "/Row"
