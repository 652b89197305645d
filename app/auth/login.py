"""Wiring Flask-Login to the server-side sessions.

The signed cookie carries only the session's secret token and the time of the last request.
Each request looks the token up: a deleted row (sign-out, password change, deactivation) or a
session past its absolute lifetime or its idle time-out signs the browser out at once.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, flash, g, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from app.auth import services
from app.circle.models import User
from app.core.db import db
from app.core.i18n import gettext as _
from app.core.signin import SECOND_FACTOR_METHODS, SignInMethod
from app.extensions import login_manager

SEEN_GRANULARITY_S = 30


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = None  # the sign-in page explains itself
    login_manager.session_protection = None  # the server-side session row is the protection
    login_manager.user_loader(_load_user)
    login_manager.unauthorized_handler(_unauthorized)
    app.after_request(_touch_session)
    from app.auth import gate

    app.before_request(gate.hold_until_enrolled)


def _load_user(user_id: str) -> User | None:
    row = services.session_for_token(db.session, session.get("sid"))
    if row is None or str(row.user_id) != user_id:
        _expire("revoked")
        return None
    seen = session.get("seen", 0)
    if time.time() - seen > row.idle_minutes * 60:
        _expire("idle")
        return None
    g.user_session = row
    return row.user


def _expire(reason: str) -> None:
    session.clear()
    g.session_ended = reason


def _unauthorized() -> Any:
    if getattr(g, "session_ended", None) == "idle":
        flash(
            _("You were signed out after a period without activity. Please sign in again."), "info"
        )
    target = request.full_path if request.method == "GET" else None
    if target and target.endswith("?"):
        target = target[:-1]
    return redirect(url_for("auth.sign_in", next=target) if target else url_for("auth.sign_in"))


def _touch_session(response: Any) -> Any:
    # Refresh the idle clock in the signed cookie (no database write on a GET).
    if current_user.is_authenticated and "sid" in session:
        now = int(time.time())
        if now - session.get("seen", 0) >= SEEN_GRANULARITY_S:
            session["seen"] = now
    return response


def sign_in(user: User, method: SignInMethod) -> None:
    """Start a fresh session for ``user``: new token, new cookie contents (no fixation)."""
    token = services.start_session(db.session, user, method)
    language = session.get("lang")
    session.clear()
    if language:
        user.preferred_language = language
        session["lang"] = language
    session["sid"] = token
    session["seen"] = int(time.time())
    # A cookie that ends with the browser: on a shared school computer closing it signs out.
    # The idle and absolute time-outs are kept on the server (UserSession).
    session.permanent = False
    login_user(user)


def sign_out() -> None:
    """End this browser's session on the server and clear the cookie."""
    user = current_user._get_current_object() if current_user.is_authenticated else None
    services.end_session(db.session, session.get("sid"), actor=user)
    logout_user()
    session.clear()


def current_token() -> str | None:
    return session.get("sid")


# --- the second step of a sign-in, and asking for the factor again ----------------------------

#: How long the second step may take after the right password.
PENDING_SECONDS = 5 * 60
#: How long a proven factor counts for acts that ask for it (turning a factor off, a new
#: password): long enough to finish the form, short enough that an unattended screen is not
#: a master key.
RECENT_FACTOR_SECONDS = 10 * 60


def begin_second_step(user: User, next_url: str | None) -> None:
    """The password was right and the account has a second factor: remember who, for a few
    minutes, in this browser's (signed) cookie; no session exists until the second step."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    session["pending"] = {"uid": user.id, "at": int(time.time()), "next": next_url or ""}


def pending_user() -> User | None:
    """The account waiting for its second step in this browser, or None (none, too old, or
    deactivated meanwhile)."""
    pending = session.get("pending")
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = db.session.get(User, pending.get("uid"))
    if user is None or user.is_deactivated:
        return None
    return user


def pending_next() -> str | None:
    pending = session.get("pending")
    return pending.get("next") or None if isinstance(pending, dict) else None


def cancel_second_step() -> None:
    session.pop("pending", None)


def finish_second_step(user: User, method: SignInMethod) -> None:
    """Sign in after both steps: a fresh session that says how, and the factor counts as just
    proven."""
    sign_in(user, method)
    session["factor_at"] = int(time.time())


def factor_proven(method: SignInMethod | None = None) -> None:
    """The signed-in person just proved a second factor (a code, a passkey, a new enrolment):
    acts that ask for it are open for a while, and a session that began with the password
    alone now counts as signed in with the factor, under a fresh token."""
    session["factor_at"] = int(time.time())
    row = g.get("user_session")
    if method is not None and row is not None and row.method not in SECOND_FACTOR_METHODS:
        # A step up in what the session may do: a new token, as at sign-in (no fixation).
        session["sid"] = services.upgrade_session(db.session, row, method)


def factor_recent() -> bool:
    """Whether a second factor was proven in this session within the last few minutes."""
    return time.time() - session.get("factor_at", 0) <= RECENT_FACTOR_SECONDS


def session_method() -> SignInMethod | None:
    row = g.get("user_session")
    return row.method if row is not None else None
