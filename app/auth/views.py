"""Sign in and out, password reset, the account page and the language switch."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from app.auth import bp, factors, login, passkeys, services
from app.auth.forms import (
    AccountForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LanguageForm,
    NewPasswordForm,
    SignInForm,
)
from app.circle import routes
from app.core.db import db
from app.core.i18n import gettext as _
from app.core.language import language_chosen, without_lang
from app.core.signin import SignInMethod
from app.extensions import client_address, limiter


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: never another host, scheme or a protocol-relative URL."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


@bp.route("/sign-in", methods=["GET", "POST"])
@routes.public
def sign_in() -> Any:
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("children.index"))
    form = SignInForm(next=request.args.get("next", ""))
    status = 200
    if form.validate_on_submit():
        email, address = form.email.data, client_address()
        throttle = services.sign_in_throttle(email, address)
        if throttle.blocked:
            services.record_failed_sign_in(db.session, email, throttled=True)
            db.session.commit()
            form.form_errors.append(
                _(
                    "Too many attempts to sign in. Wait %(minutes)d minutes and try again, "
                    "or reset your password.",
                    minutes=throttle.retry_minutes,
                )
            )
            status = 429
        else:
            user = services.authenticate(db.session, email, form.password.data)
            if user is None:
                services.count_failed_sign_in(email, address)
                services.record_failed_sign_in(db.session, email)
                db.session.commit()
                form.form_errors.append(_("The e-mail address or password is not correct."))
                status = 200
            elif factors.has_second_factor(db.session, user):
                login.begin_second_step(user, safe_next(form.next.data))
                return redirect(url_for("auth.second_step"))
            else:
                login.sign_in(user, SignInMethod.PASSWORD)
                db.session.commit()
                if factors.must_use_second_factor(user):
                    return redirect(url_for("auth.security"))  # nothing else until then
                return redirect(safe_next(form.next.data) or url_for("children.index"))
    return render_template(
        "auth/sign_in.html",
        form=form,
        passkey_sign_in=passkeys.any_school_allows_passkey_sign_in(db.session),
    ), status


@bp.post("/sign-out")
@routes.public
def sign_out() -> Any:
    # CSRFProtect has checked the token before this runs: a forged sign-out never gets here.
    if current_user.is_authenticated:
        login.sign_out()
        db.session.commit()
        flash(_("You are signed out."), "success")
    return redirect(url_for("auth.sign_in"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@routes.public
def forgot_password() -> Any:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        if _reset_requests_allowed(form.email.data):
            services.request_password_reset(db.session, form.email.data)
            db.session.commit()
        return render_template("auth/forgot_sent.html", email=form.email.data)
    return render_template("auth/forgot_password.html", form=form)


def _reset_requests_allowed(email: str) -> bool:
    from limits import parse

    item = parse(current_app.config["RESET_REQUEST_LIMIT"])
    key = services.token_digest(services.normalise_email(email))
    return limiter.limiter.hit(item, "reset", key) and limiter.limiter.hit(
        item, "reset-address", client_address()
    )


@bp.route("/reset", methods=["GET", "POST"])
@routes.public
def reset() -> Any:
    token = request.args.get("token", "")
    row = services.password_token(db.session, token) if token else None
    if row is None:
        return render_template("auth/reset_invalid.html"), 410
    form = NewPasswordForm()
    form.known_email, form.known_name = row.user.email, row.user.name
    if form.validate_on_submit():
        services.use_password_token(db.session, row, form.password.data)
        db.session.commit()
        if current_user.is_authenticated:
            login.sign_out()
        flash(_("Your password is set. Sign in with your new password."), "success")
        return redirect(url_for("auth.sign_in"))
    return render_template("auth/reset.html", form=form, user=row.user)


@bp.route("/account", methods=["GET", "POST"])
@routes.signed_in
def account() -> Any:
    user = current_user._get_current_object()
    form = AccountForm(obj=user, prefix="account")
    password_form = ChangePasswordForm(prefix="password")
    password_form.known_email, password_form.known_name = user.email, user.name
    if request.method == "POST" and "account-name" in request.form and form.validate():
        user.name = form.name.data.strip()
        user.preferred_language = form.language.data
        session["lang"] = form.language.data
        language_chosen()  # the next page in the language just chosen
        db.session.commit()
        flash(_("Your details are saved."), "success")
        return redirect(url_for("auth.account"))
    status = 200
    factor_first = factors.has_second_factor(db.session, user) and not login.factor_recent()
    if request.method == "POST" and "password-current" in request.form and password_form.validate():
        if factor_first:
            password_form.current.errors = [
                _("First confirm it is you with your second factor, then change the password.")
            ]
            return _account_page(form, password_form, factor_first), 403
        result = services.change_password(
            db.session,
            user,
            password_form.current.data,
            password_form.password.data,
            keep_token=login.current_token(),
            address=client_address(),
        )
        db.session.commit()  # the new password, or the audit of a wrong or paused attempt
        if result.changed:
            flash(_("Your password is changed. Other devices have been signed out."), "success")
            return redirect(url_for("auth.account"))
        if result.throttled:
            status = 429
            password_form.current.errors = [
                _(
                    "Too many wrong passwords. Wait %(minutes)d minutes and try again.",
                    minutes=result.retry_minutes,
                )
            ]
        else:
            password_form.current.errors = [_("The current password is not correct.")]
    return _account_page(form, password_form, factor_first), status


def _account_page(form: AccountForm, password_form: ChangePasswordForm, factor_first: bool) -> str:
    user = current_user._get_current_object()
    return render_template(
        "auth/account.html",
        form=form,
        password_form=password_form,
        factor_first=factor_first,
        has_factor=factors.has_second_factor(db.session, user),
    )


@bp.post("/language")
@routes.public
def set_language() -> Any:
    language_chosen()
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    session["lang"] = form.language.data
    if current_user.is_authenticated:
        current_user.preferred_language = form.language.data
        db.session.commit()
    # The page comes back in the language just chosen, not in the one its address asked for.
    target = safe_next(form.next.data)
    return redirect(without_lang(target) if target else url_for("children.index"))
