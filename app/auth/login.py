"""Wiring Flask-Login to the server-side sessions.

The signed cookie carries only the session's secret token and the time of the last request.
Each request looks the token up: a deleted row (sign-out, password change, deactivation) or a
session past its absolute lifetime or its idle time-out signs the browser out at once.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.auth import services
from app.circle.models import User
from app.core.db import db
from app.core.signin import SignInMethod
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
