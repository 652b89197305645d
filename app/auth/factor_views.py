"""Second-factor pages: the second step of a sign-in, adding and removing an authenticator app,
recovery codes, and asking for the factor again before an act that needs it."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth import bp, factors, gate, login, passkeys
from app.auth.factors import CodeCheck, CodeKind, CodeResult
from app.auth.forms import CodeForm, EnrolForm
from app.auth.views import safe_next
from app.circle import routes
from app.core.db import db
from app.core.forms import ConfirmForm
from app.core.i18n import gettext as _
from app.core.signin import SignInMethod
from app.extensions import client_address

METHOD_OF = {
    CodeKind.AUTHENTICATOR: SignInMethod.PASSWORD_TOTP,
    CodeKind.RECOVERY: SignInMethod.PASSWORD_RECOVERY,
}


def _code_error(check: CodeCheck) -> str:
    if check.result is CodeResult.THROTTLED:
        return _(
            "Too many wrong codes. Wait %(minutes)d minutes and try again.",
            minutes=check.retry_minutes,
        )
    return _(
        "This code is not right, or it was used already. Type the code your app shows now, "
        "or one of your recovery codes."
    )


def _status(check: CodeCheck) -> int:
    return 429 if check.result is CodeResult.THROTTLED else 200


@bp.route("/sign-in/code", methods=["GET", "POST"])
@routes.public
def second_step() -> Any:
    user = login.pending_user()
    if user is None:
        login.cancel_second_step()
        flash(_("Please sign in again."), "info")
        return redirect(url_for("auth.sign_in"))
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        check = factors.check_code(db.session, user, form.code.data, address=client_address())
        if check.ok and check.kind is not None:
            next_url = login.pending_next()
            login.finish_second_step(user, METHOD_OF[check.kind])
            db.session.commit()
            if check.kind is CodeKind.RECOVERY:
                left = factors.recovery_codes_left(db.session, user)
                flash(
                    _(
                        "You signed in with a recovery code; it cannot be used again. "
                        "Recovery codes left: %(left)d.",
                        left=left,
                    ),
                    "info",
                )
            return redirect(safe_next(next_url) or url_for("children.index"))
        db.session.commit()  # the audit of the refusal
        form.code.errors = [_code_error(check)]
        status = _status(check)
    return render_template(
        "auth/second_step.html",
        form=form,
        has_authenticator=factors.has_authenticator(db.session, user),
        has_passkey=passkeys.has_passkey(db.session, user),
    ), status


@bp.get("/account/second-factor")
@routes.signed_in
def security() -> Any:
    user = current_user._get_current_object()
    app_row = factors.authenticator_of(db.session, user)
    return render_template(
        "auth/security.html",
        authenticator=app_row if app_row is not None and app_row.is_confirmed else None,
        codes_left=factors.recovery_codes_left(db.session, user),
        has_factor=factors.has_second_factor(db.session, user),
        recent=login.factor_recent(),
        must_enrol=gate.must_still_enrol(),
        confirm_form=ConfirmForm(),
        passkeys=passkeys.passkeys_of(db.session, user),
    )


@bp.post("/account/authenticator/start")
@routes.signed_in
def authenticator_start() -> Any:
    user = current_user._get_current_object()
    if ConfirmForm().validate_on_submit():
        if factors.has_authenticator(db.session, user):
            flash(
                _("You already use an authenticator app. Remove it first to add another."), "info"
            )
            return redirect(url_for("auth.security"))
        factors.start_enrolment(db.session, user)
        db.session.commit()
    return redirect(url_for("auth.authenticator_confirm"))


@bp.route("/account/authenticator", methods=["GET", "POST"])
@routes.signed_in
def authenticator_confirm() -> Any:
    user = current_user._get_current_object()
    row = factors.authenticator_of(db.session, user)
    if row is None or row.is_confirmed:
        return redirect(url_for("auth.security"))
    shown = factors.enrolment(row, user)
    if shown is None:  # the secret cannot be read (the secret key changed): start again
        flash(_("Please start adding the authenticator app again."), "info")
        return redirect(url_for("auth.security"))
    form = EnrolForm()
    status = 200
    if form.validate_on_submit():
        check = factors.confirm_enrolment(
            db.session, user, form.code.data, address=client_address()
        )
        if check.ok:
            login.factor_proven(SignInMethod.PASSWORD_TOTP)
            db.session.commit()
            return render_template("auth/recovery_codes.html", codes=check.recovery_codes, new=True)
        db.session.commit()
        form.code.errors = [
            _code_error(check)
            if check.result is CodeResult.THROTTLED
            else _("This code is not right. Type the six digits your app shows now.")
        ]
        status = _status(check)
    return render_template("auth/enrol.html", form=form, enrolment=shown), status


def keeps_the_last_factor() -> Any | None:
    """Where the school requires a second factor, the last one cannot be removed: another
    comes first."""
    user = current_user._get_current_object()
    if factors.must_use_second_factor(user) and factors.factor_count(db.session, user) <= 1:
        flash(
            _("Your school requires a second factor. Add another one before you remove this one."),
            "error",
        )
        return redirect(url_for("auth.security"))
    return None


def needs_factor_first() -> Any | None:
    """Acts that weaken the account ask for the second factor first (a recent proof)."""
    user = current_user._get_current_object()
    if login.factor_recent() or not factors.has_second_factor(db.session, user):
        return None
    flash(_("First confirm it is you with your second factor."), "info")
    return redirect(url_for("auth.confirm_factor", next=url_for("auth.security")))


@bp.post("/account/authenticator/remove")
@routes.signed_in
def authenticator_remove() -> Any:
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("auth.security"))
    first = needs_factor_first() or keeps_the_last_factor()
    if first is not None:
        return first
    user = current_user._get_current_object()
    if factors.remove_authenticator(db.session, user, actor=user):
        flash(_("The authenticator app is removed from your account."), "success")
    db.session.commit()
    return redirect(url_for("auth.security"))


@bp.post("/account/recovery-codes")
@routes.signed_in
def recovery_codes() -> Any:
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("auth.security"))
    first = needs_factor_first()
    if first is not None:
        return first
    user = current_user._get_current_object()
    if not factors.has_second_factor(db.session, user):
        return redirect(url_for("auth.security"))
    codes = factors.new_recovery_codes(db.session, user)
    db.session.commit()
    return render_template("auth/recovery_codes.html", codes=codes, new=False)


@bp.route("/account/confirm", methods=["GET", "POST"])
@routes.signed_in
def confirm_factor() -> Any:
    user = current_user._get_current_object()
    target = safe_next(request.args.get("next")) or url_for("auth.security")
    if not factors.has_second_factor(db.session, user):
        return redirect(target)
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        check = factors.check_code(db.session, user, form.code.data, address=client_address())
        if check.ok and check.kind is not None:
            login.factor_proven(METHOD_OF[check.kind])
            db.session.commit()
            return redirect(target)
        db.session.commit()
        form.code.errors = [_code_error(check)]
        status = _status(check)
    return render_template(
        "auth/confirm_factor.html",
        form=form,
        has_authenticator=factors.has_authenticator(db.session, user),
        has_passkey=passkeys.has_passkey(db.session, user),
        target=target,
    ), status
