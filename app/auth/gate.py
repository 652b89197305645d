"""The school's rule "staff must use a second factor", held on every request.

A staff member of such a school whose session began with the password alone reaches only
the pages that add a factor (or prove one they have) and signing out; every other page sends
them there. Proving or adding a factor upgrades the session (``login.factor_proven``).
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, redirect, request, url_for
from flask_login import current_user

from app.auth import factors, login
from app.core.db import db
from app.core.signin import SECOND_FACTOR_METHODS

#: What a staff member who must still add or prove a factor may reach.
OPEN_WHILE_ENROLLING = frozenset(
    {
        "static",
        "auth.sign_in",
        "auth.sign_out",
        "auth.set_language",
        "auth.second_step",
        "auth.security",
        "auth.authenticator_start",
        "auth.authenticator_confirm",
        "auth.recovery_codes",
        "auth.confirm_factor",
        "auth.passkey_register_options",
        "auth.passkey_register",
        "auth.passkey_options",
        "auth.passkey_verify",
    }
)


def must_still_enrol() -> bool:
    """Whether the signed-in person must add or prove a second factor before anything else."""
    if not current_user.is_authenticated:
        return False
    user = current_user._get_current_object()
    return factors.must_use_second_factor(user) and login.session_method() not in (
        SECOND_FACTOR_METHODS
    )


def hold_until_enrolled() -> Any:
    """before_request: send a staff member without a proven factor to add (or prove) one."""
    if request.endpoint is None or request.endpoint in OPEN_WHILE_ENROLLING:
        return None
    if not must_still_enrol():
        return None
    user = current_user._get_current_object()
    if factors.has_second_factor(db.session, user):
        target = url_for("auth.confirm_factor", next=request.full_path.rstrip("?"))
    else:
        target = url_for("auth.security")
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"error": "second_factor_required", "location": target}), 403
    return redirect(target)
