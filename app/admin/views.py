"""The school admin's pages: staff accounts and the list of children's names."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from app.admin import bp, services
from app.admin.forms import SecurityForm, StaffForm
from app.circle import loaders, routes
from app.core import timestamps
from app.core.db import db
from app.core.errors import RefusedError
from app.core.forms import ConfirmForm
from app.core.i18n import gettext as _
from app.core.web import act


@bp.get("/")
@routes.admin_only
def index() -> Any:
    school = current_user.school
    staff = services.staff_of(db.session, school)
    return render_template(
        "admin/index.html",
        school=school,
        staff=staff,
        paused=services.paused_sign_ins(staff),
        children=services.children_of(db.session, school),
        confirm_form=ConfirmForm(),
        security_form=SecurityForm(
            staff_second_factor_required=school.staff_second_factor_required,
            passkey_sign_in_allowed=school.passkey_sign_in_allowed,
            seals_need_timestamp=school.seals_need_timestamp,
        ),
        timestamps_available=timestamps.authority_url() is not None,
        with_factor=services.with_second_factor(db.session, school),
    )


@bp.post("/security")
@routes.admin_only
def security() -> Any:
    form = SecurityForm()
    if form.validate_on_submit():
        school = current_user.school
        act(
            lambda: services.set_sign_in_rules(
                db.session,
                school,
                second_factor_required=bool(form.staff_second_factor_required.data),
                passkey_sign_in_allowed=bool(form.passkey_sign_in_allowed.data),
                seals_need_timestamp=bool(form.seals_need_timestamp.data),
                actor=current_user,
            ),
            _("The sign-in rules of the school are saved."),
        )
    return redirect(url_for("admin.index"))


@bp.post("/staff/<int:user_id>/reset-second-factor")
@routes.admin_only
def reset_second_factor(user_id: int) -> Any:
    user = loaders.staff_or_404(current_user.school, user_id)
    if ConfirmForm().validate_on_submit():
        act(
            lambda: services.reset_second_factor(db.session, user, actor=current_user),
            _(
                "The second factor of %(name)s is removed; they have been mailed and will set "
                "up a new one at their next sign-in.",
                name=user.name,
            ),
        )
    return redirect(url_for("admin.index"))


@bp.route("/staff/new", methods=["GET", "POST"])
@routes.admin_only
def new_staff() -> Any:
    form = StaffForm()
    if form.validate_on_submit():
        data = services.StaffData(
            name=form.name.data,
            email=form.email.data,
            language=form.language.data,
            is_school_admin=form.is_school_admin.data,
        )
        try:
            user = services.create_staff(db.session, current_user.school, data, actor=current_user)
        except RefusedError as refused:
            db.session.rollback()
            form.email.errors = [*form.email.errors, str(refused.message)]
        else:
            db.session.commit()
            flash(
                _("%(name)s has been sent a link to choose a password.", name=user.name), "success"
            )
            return redirect(url_for("admin.index"))
    return render_template("admin/staff_form.html", form=form)


@bp.post("/staff/<int:user_id>/deactivate")
@routes.admin_only
def deactivate(user_id: int) -> Any:
    return _set_deactivated(user_id, True)


@bp.post("/staff/<int:user_id>/reactivate")
@routes.admin_only
def reactivate(user_id: int) -> Any:
    return _set_deactivated(user_id, False)


@bp.post("/staff/<int:user_id>/resend")
@routes.admin_only
def resend(user_id: int) -> Any:
    user = loaders.staff_or_404(current_user.school, user_id)
    if ConfirmForm().validate_on_submit():
        services.resend_activation(db.session, user, actor=current_user)
        db.session.commit()
        flash(_("A new link has been sent to %(email)s.", email=user.email), "success")
    return redirect(url_for("admin.index"))


@bp.post("/staff/<int:user_id>/unlock")
@routes.admin_only
def unlock(user_id: int) -> Any:
    user = loaders.staff_or_404(current_user.school, user_id)
    if ConfirmForm().validate_on_submit():
        act(
            lambda: services.lift_sign_in_pause(db.session, user, actor=current_user),
            _("%(name)s can sign in again now.", name=user.name),
        )
    return redirect(url_for("admin.index"))


def _set_deactivated(user_id: int, deactivated: bool) -> Any:
    user = loaders.staff_or_404(current_user.school, user_id)
    if ConfirmForm().validate_on_submit():
        message = (
            _("%(name)s can no longer sign in.", name=user.name)
            if deactivated
            else _("%(name)s can sign in again.", name=user.name)
        )
        act(
            lambda: services.set_deactivated(db.session, user, deactivated, actor=current_user),
            message,
        )
    return redirect(url_for("admin.index"))
