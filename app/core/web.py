"""Response headers, error pages and the language of each request."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from flask import (
    Flask,
    current_app,
    flash,
    has_request_context,
    render_template,
    request,
    session,
)
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import Forbidden, HTTPException, NotFound

from app.core.clock import age_on
from app.core.errors import ForbiddenError, NotFoundError
from app.core.i18n import gettext as _
from app.core.language import keep_reading_language, reading_language

T = TypeVar("T")
log = logging.getLogger("beeldbrug.web")

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def security_headers(response: Any) -> Any:
    """Headers on every response; signed-in pages are never cached anywhere."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    # Pages may hold a child's data: never stored. Static files hold none and may be cached.
    if request.endpoint != "static" and "no-store" not in headers.get("Cache-Control", ""):
        headers["Cache-Control"] = "no-store"
    if current_app.config.get("HSTS"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def act(action: Callable[[], T], success: Any, *, refused: str = "error") -> T | None:
    """Carry out a confirmed form's service call: commit and flash ``success`` (a message, or
    a function of the result giving one); when the service refuses, roll back and flash why.
    Returns the result, or None when refused.
    """
    from app.core.db import db
    from app.core.errors import RefusedError

    try:
        result = action()
    except RefusedError as why:
        db.session.rollback()
        flash(str(why.message), refused)
        return None
    db.session.commit()
    flash(str(success(result) if callable(success) else success), "success")
    return result


def select_locale() -> str:
    """?lang= on this request (or on the page a form was sent from: app.core.language), the
    signed-in person's choice, the session's, else Dutch."""
    languages: Collection[str] = current_app.config["LANGUAGES"]
    default: str = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():  # a command or a job: the default, unless forced
        return default
    asked = reading_language()
    if asked is not None:
        return asked
    if (
        current_user
        and current_user.is_authenticated
        and current_user.preferred_language in languages
    ):
        chosen: str = current_user.preferred_language
        return chosen
    remembered: str | None = session.get("lang")
    if remembered is not None and remembered in languages:
        return remembered
    return default


def text_direction(locale: str) -> str:
    return "rtl" if locale.split("_")[0] in {"ar", "he", "fa", "ur"} else "ltr"


#: The main menu's entries by the addresses under them: a child's every page is under
#: "/children/" (whichever feature draws it), the school's under "/admin/".
_MENU_SECTIONS = (
    ("/children/", "children"),
    ("/admin/", "school"),
    ("/documents/verify", "documents"),
    ("/account/", "account"),
)


def menu_section(path: str) -> str | None:
    """The entry of the main menu that the page at ``path`` belongs to (``base.html`` marks
    it as the current one), None for a page under none of them."""
    if path == "/":  # the children list
        return "children"
    below = path if path.endswith("/") else path + "/"
    return next((name for prefix, name in _MENU_SECTIONS if below.startswith(prefix)), None)


def _error_page(status: int, title: str, message: str, **headers: str) -> Any:
    body = render_template("errors/error.html", status=status, title=title, message=message)
    return body, status, headers


def init_app(app: Flask) -> None:
    from app.core import assets, templating

    assets.init_app(app)
    templating.init_app(app)
    app.after_request(security_headers)
    app.after_request(keep_reading_language)
    app.add_template_filter(age_on, "age")

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError) -> Any:
        log.warning(
            "csrf failure: %s user=%s endpoint=%s",
            error.description,
            getattr(current_user, "id", None),
            request.endpoint,
        )
        return _error_page(
            400,
            _("This form has expired"),
            _(
                "For your safety the form could not be sent. "
                "Go back, reload the page and try again."
            ),
        )

    @app.errorhandler(OperationalError)
    def _database_busy(error: OperationalError) -> Any:
        if "locked" in str(error.orig).lower() or "busy" in str(error.orig).lower():
            log.warning("database busy: %s", request.endpoint)
            return _error_page(
                503,
                _("Busy for a moment"),
                _("Beeldbrug is busy for a moment. Nothing was saved; please try again."),
                **{"Retry-After": "2"},
            )
        return _internal_error(error)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        titles = {
            400: (_("Something was wrong with the request"), _("Go back and try again.")),
            403: (
                _("Not allowed"),
                _("Your role in this circle does not allow this. Ask the coach if you need it."),
            ),
            404: (_("Page not found"), _("This page does not exist, or it is not for you.")),
            405: (_("Not allowed"), _("This address cannot be used in this way.")),
            410: (_("No longer available"), _("This page is no longer available.")),
            413: (
                _("Too large"),
                _("What you sent is larger than Beeldbrug accepts. Nothing was saved."),
            ),
            429: (_("Too many attempts"), _("Please wait a few minutes and try again.")),
        }
        title, message = titles.get(
            error.code or 500, (_("Something went wrong"), error.description or "")
        )
        return _error_page(error.code or 500, title, message)

    @app.errorhandler(NotFoundError)
    def _not_found(error: NotFoundError) -> Any:
        # A service's "not there, or not for you": the same page as werkzeug's 404.
        return _http_error(NotFound())

    @app.errorhandler(ForbiddenError)
    def _forbidden(error: ForbiddenError) -> Any:
        return _http_error(Forbidden())

    @app.errorhandler(Exception)
    def _internal_error(error: Exception) -> Any:
        if isinstance(error, HTTPException):
            return _http_error(error)
        log.exception("unhandled error on %s", request.endpoint)
        return _error_page(
            500,
            _("Something went wrong"),
            _("Something went wrong on our side. Nothing was saved. Please try again later."),
        )
