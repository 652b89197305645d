"""Refusing request bodies that no page's form can read.

A form's body is refused (413, before anything reads it) over ``FORM_MAX_BYTES``, unless the
view declared a larger limit with :func:`accepts_body` (a drawn signature), or its blueprint
raises the limit itself (uploads, a PDF to verify): a page that shows a form again with what was
typed never echoes back a body of megabytes.

A browser sends a file part only for an ``<input type="file">``. Anything else that arrives as a
file part (a text field posted as a file by a script, say) would reach a text field as a file
object; every form would have to guard against it. Instead, one ``before_request`` hook answers
400 with a clear page unless the view declared that field as a file with :func:`accepts_files`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, render_template, request
from flask_login import current_user

from app.core.i18n import gettext as _

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("beeldbrug.web")


def accepts_files(*names: str) -> Callable[[F], F]:
    """Let the view receive file parts under these field names (and no others).

    Put it below ``@bp.route`` (and above a loader decorator that uses ``functools.wraps``).
    """

    def decorator(view: F) -> F:
        # A function takes new attributes; its type does not say so.
        view.file_fields = frozenset(names)  # type: ignore[attr-defined]
        return view

    return decorator


FORM_MIMETYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def accepts_body(limit: int) -> Callable[[F], F]:
    """Let the view receive a form body of up to ``limit`` bytes (more than ``FORM_MAX_BYTES``).

    Put it below ``@bp.route``, like :func:`accepts_files`.
    """

    def decorator(view: F) -> F:
        view.body_limit = limit  # type: ignore[attr-defined]
        return view

    return decorator


def limit_form_body(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """url_value_preprocessor of the app: a form body's limit, before anything parses it.

    Runs before the blueprints' own preprocessors (which may raise it further for a file) and
    before every before_request hook (CSRF protection reads the form).
    """
    if request.mimetype not in FORM_MIMETYPES:
        return
    view = current_app.view_functions.get(endpoint or "")
    limit = getattr(view, "body_limit", None) or current_app.config["FORM_MAX_BYTES"]
    request.max_content_length = int(limit)


def file_fields(endpoint: str | None) -> frozenset[str]:
    """The field names under which ``endpoint`` accepts files (none unless it declared some)."""
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, "file_fields", frozenset())


def refuse_unexpected_files() -> Any:
    """before_request: a file part under a name the view did not declare gets a 400 page.

    Only multipart bodies are looked at; other bodies (a raw upload stream) are left unread.
    """
    if request.endpoint is None or request.mimetype != "multipart/form-data":
        return None
    allowed = file_fields(request.endpoint)
    unexpected = sorted(name for name in request.files if name not in allowed)
    if not unexpected:
        return None
    log.warning(
        "file part refused: fields=%s user=%s endpoint=%s address=%s",
        # Field names come from the client: keep them to one short, printable line in the log.
        ",".join(name[:40].encode("unicode_escape").decode() for name in unexpected[:10]),
        getattr(current_user, "id", None),
        request.endpoint,
        request.remote_addr,
    )
    body = render_template(
        "errors/error.html",
        status=400,
        title=_("This form could not be read"),
        message=_(
            "A text field arrived as a file. Nothing was saved. Go back, reload the page and "
            "fill in the form again."
        ),
    )
    return body, 400
