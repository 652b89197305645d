"""Passkey pages and their JSON ends for ``static/js/passkeys.js``: registering, naming and
removing passkeys on the account, and using one (second step, confirming it is you, or the
whole sign-in where the school allows it)."""

from __future__ import annotations

import time
from typing import Any

from flask import flash, jsonify, redirect, request, session, url_for
from flask_login import current_user
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from app.auth import bp, factors, login, passkeys, services
from app.auth.factor_views import keeps_the_last_factor, needs_factor_first
from app.auth.forms import PasskeyForm, PasskeyNameForm
from app.auth.views import safe_next
from app.circle import routes
from app.circle.models import User
from app.core.db import db
from app.core.i18n import gettext as _
from app.core.signin import SignInMethod
from app.core.text import has_control_characters
from app.extensions import client_address

#: How long a challenge handed to the browser stays good.
CHALLENGE_SECONDS = 5 * 60


def _keep_challenge(challenge: bytes, purpose: str) -> None:
    session["webauthn"] = {
        "challenge": bytes_to_base64url(challenge),
        "purpose": purpose,
        "at": int(time.time()),
    }


def _take_challenge(purpose: str) -> bytes | None:
    """The challenge handed out for ``purpose``, spent on reading (one answer per challenge)."""
    kept = session.pop("webauthn", None)
    if not isinstance(kept, dict) or kept.get("purpose") != purpose:
        return None
    if time.time() - kept.get("at", 0) > CHALLENGE_SECONDS:
        return None
    return base64url_to_bytes(kept["challenge"])


def _refused(message: str, status: int = 400) -> Any:
    return jsonify({"error": message}), status


def _not_accepted() -> str:
    return _("This passkey was not accepted. Try again, or use another way to sign in.")


def _credential() -> Any | None:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("credential"), dict):
        return None
    return body


# --- registering -------------------------------------------------------------------------------


@bp.post("/account/passkeys/options")
@routes.signed_in
def passkey_register_options() -> Any:
    user = current_user._get_current_object()
    options, challenge = passkeys.registration_options(db.session, user)
    _keep_challenge(challenge, "register")
    return options, 200, {"Content-Type": "application/json"}


@bp.post("/account/passkeys")
@routes.signed_in
def passkey_register() -> Any:
    user = current_user._get_current_object()
    body = _credential()
    challenge = _take_challenge("register")
    if body is None or challenge is None:
        return _refused(_("The passkey could not be added. Reload the page and try again."))
    name = body.get("name") if isinstance(body.get("name"), str) else ""
    if len(name) > passkeys.NAME_MAX or has_control_characters(name):
        return _refused(
            _(
                "Give the passkey a name of at most %(max)d characters, on one line.",
                max=passkeys.NAME_MAX,
            )
        )
    try:
        passkeys.register(db.session, user, body["credential"], name, challenge=challenge)
    except passkeys.PasskeyError:
        db.session.rollback()
        return _refused(_("The passkey could not be added. Reload the page and try again."))
    login.factor_proven(SignInMethod.PASSWORD_PASSKEY)
    db.session.commit()
    flash(_("The passkey is added to your account."), "success")
    if factors.recovery_codes_left(db.session, user) == 0:
        flash(_("Make recovery codes too, in case you lose the passkey."), "info")
    return jsonify({"redirect": url_for("auth.security")})


@bp.post("/account/passkeys/name")
@routes.signed_in
def passkey_rename() -> Any:
    user = current_user._get_current_object()
    form = PasskeyNameForm()
    if form.validate_on_submit():
        row = passkeys.passkey_of(db.session, user, form.passkey_id.data)
        if row is not None:
            passkeys.rename(db.session, row, form.name.data, actor=user)
            db.session.commit()
            flash(_("The name of the passkey is saved."), "success")
    else:
        for errors in form.errors.values():
            flash(" ".join(str(e) for e in errors), "error")
    return redirect(url_for("auth.security"))


@bp.post("/account/passkeys/remove")
@routes.signed_in
def passkey_remove() -> Any:
    user = current_user._get_current_object()
    form = PasskeyForm()
    if not form.validate_on_submit():
        return redirect(url_for("auth.security"))
    first = needs_factor_first() or keeps_the_last_factor()
    if first is not None:
        return first
    row = passkeys.passkey_of(db.session, user, form.passkey_id.data)
    if row is not None:
        passkeys.remove(db.session, row, actor=user)
        db.session.commit()
        flash(_("The passkey is removed from your account."), "success")
    return redirect(url_for("auth.security"))


# --- using one ---------------------------------------------------------------------------------


def _purpose() -> tuple[str, User | None]:
    """What an assertion now would be for: the second step of a sign-in, confirming it is
    you while signed in, or the whole sign-in."""
    if current_user.is_authenticated:
        return "confirm", current_user._get_current_object()
    pending = login.pending_user()
    if pending is not None:
        return "second_step", pending
    return "sign_in", None


@bp.post("/passkey/options")
@routes.public
def passkey_options() -> Any:
    purpose, user = _purpose()
    if user is None and not passkeys.any_school_allows_passkey_sign_in(db.session):
        return _refused(_("Signing in with a passkey alone is not switched on."), 404)
    options, challenge = passkeys.authentication_options(db.session, user)
    _keep_challenge(challenge, purpose)
    return options, 200, {"Content-Type": "application/json"}


@bp.post("/passkey/verify")
@routes.public
def passkey_verify() -> Any:
    purpose, expected = _purpose()
    body = _credential()
    challenge = _take_challenge(purpose)
    address = client_address()
    if body is None or challenge is None:
        return _refused(_not_accepted())
    row = passkeys.credential_owner(db.session, body["credential"])
    owner = db.session.get(User, row.user_id) if row is not None else None
    if owner is not None:
        paused = services.throttle("second-factor", factors.account_key(owner), address)
        if paused.blocked:
            factors.record_throttled(db.session, owner)
            db.session.commit()
            return _refused(
                _(
                    "Too many attempts. Wait %(minutes)d minutes and try again.",
                    minutes=paused.retry_minutes,
                ),
                429,
            )
    whole = purpose == "sign_in"
    fits = row is not None and owner is not None and not owner.is_deactivated
    if fits and expected is not None and owner is not None:
        fits = owner.id == expected.id
    if fits and whole and owner is not None:
        fits = passkeys.passkey_sign_in_allowed(db.session, owner)
    try:
        if not fits or row is None or owner is None:
            raise passkeys.PasskeyError("not this account's passkey, or not allowed here")
        passkeys.authenticate(db.session, row, body["credential"], challenge=challenge, whole=whole)
    except passkeys.PasskeyError:
        db.session.rollback()
        if owner is not None:
            factors.record_failure(db.session, owner, address, "passkey_failed")
            db.session.commit()
        return _refused(_not_accepted())
    return _passkey_accepted(purpose, owner)


def _passkey_accepted(purpose: str, user: User) -> Any:
    if purpose == "second_step":
        target = safe_next(login.pending_next()) or url_for("children.index")
        login.finish_second_step(user, SignInMethod.PASSWORD_PASSKEY)
    elif purpose == "sign_in":
        target = safe_next(request.args.get("next")) or url_for("children.index")
        login.finish_second_step(user, SignInMethod.PASSKEY)
    else:
        target = safe_next(request.args.get("next")) or url_for("auth.security")
        login.factor_proven(SignInMethod.PASSWORD_PASSKEY)
    db.session.commit()
    return jsonify({"redirect": target})
