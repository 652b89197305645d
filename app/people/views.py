"""Opening a trajectory, editing a child's details, and the circle: invite, accept, remove."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from app.auth import login
from app.circle import loaders, policy, routes
from app.circle.models import Role
from app.circle.policy import Action, Seat
from app.core.db import db
from app.core.errors import RefusedError
from app.core.forms import ConfirmForm, attempt
from app.core.i18n import gettext as _
from app.core.language import language_chosen
from app.core.signin import SignInMethod
from app.core.web import act
from app.people import bp, services
from app.people.forms import (
    ROLE_LABELS,
    AcceptNewAccountForm,
    InviteForm,
    TrajectoryForm,
)
from app.people.services import InvitationState


@bp.app_template_global("role_label")
def role_label(role: Role | str) -> str:
    """The person-facing name of a role, in the current language."""
    return str(ROLE_LABELS[Role(role)])


@bp.route("/children/new", methods=["GET", "POST"])
@routes.staff_only
def open_trajectory() -> Any:
    if not policy.may_open_trajectory(current_user):
        abort(403)
    form = TrajectoryForm()
    if form.validate_on_submit():
        child = services.open_trajectory(
            db.session, current_user.school, _child_data(form), actor=current_user
        )
        db.session.commit()
        flash(_("The trajectory is open. Invite the teacher and the parents next."), "success")
        return redirect(url_for("children.show", child_id=child.id))
    return render_template("people/trajectory_form.html", form=form, child=None)


@bp.route("/children/<int:child_id>/edit", methods=["GET", "POST"])
@routes.for_child(Action.EDIT_CHILD)
def edit_child(seat: Seat) -> Any:
    child = seat.child
    form = TrajectoryForm(obj=child)
    if form.validate_on_submit():
        services.update_child(db.session, child, _child_data(form), actor=seat.user)
        db.session.commit()
        flash(_("The details are saved."), "success")
        return redirect(url_for("children.show", child_id=child.id))
    return render_template("people/trajectory_form.html", form=form, child=child)


def _child_data(form: TrajectoryForm) -> services.ChildData:
    return services.ChildData(
        name=form.name.data,
        date_of_birth=form.date_of_birth.data,
        group_name=form.group_name.data,
        guiding_question=form.guiding_question.data,
    )


@bp.route("/children/<int:child_id>/invite", methods=["GET", "POST"])
@routes.for_child(Action.INVITE)
def invite(seat: Seat) -> Any:
    child = seat.child
    form = InviteForm()
    if form.validate_on_submit():
        data = services.InvitationData(
            email=form.email.data,
            name=form.name.data,
            role=Role(form.role.data),
            language=form.language.data,
            access_until=form.access_until.data,
        )
        ok, sent = attempt(form, lambda: services.invite(db.session, child, data, actor=seat.user))
        if ok and sent is not None:
            invitation, _token = sent
            flash(
                _("The invitation is on its way to %(email)s.", email=invitation.email), "success"
            )
            return redirect(url_for("children.show", child_id=child.id))
    return render_template("people/invite.html", form=form, child=child)


@bp.route("/children/<int:child_id>/members/<int:membership_id>/remove", methods=["GET", "POST"])
@routes.for_child(Action.MANAGE_CIRCLE)
def remove_member(seat: Seat, membership_id: int) -> Any:
    child = seat.child
    membership = loaders.membership_or_404(child, membership_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        act(
            lambda: services.remove_member(db.session, membership, actor=seat.user),
            _("%(name)s is no longer in the circle.", name=membership.user.name),
        )
        return redirect(url_for("children.show", child_id=child.id))
    return render_template(
        "people/remove_member.html", child=child, membership=membership, form=form
    )


@bp.post("/children/<int:child_id>/invitations/<int:invitation_id>/withdraw")
@routes.for_child(Action.MANAGE_CIRCLE)
def withdraw_invitation(seat: Seat, invitation_id: int) -> Any:
    child = seat.child
    invitation = loaders.invitation_or_404(child, invitation_id)
    if ConfirmForm().validate_on_submit():
        act(
            lambda: services.withdraw_invitation(db.session, invitation, actor=seat.user),
            _("The invitation is withdrawn; its link no longer works."),
        )
    return redirect(url_for("children.show", child_id=child.id))


_STATE_STATUS = {
    InvitationState.UNKNOWN: 404,
    InvitationState.EXPIRED: 410,
    InvitationState.USED: 410,
    InvitationState.WITHDRAWN: 410,
    InvitationState.CLOSED: 410,
}


@bp.route("/invitation", methods=["GET", "POST"])
@routes.public
def accept() -> Any:
    token = request.args.get("token", "")
    state, invitation = services.invitation_for_token(db.session, token)
    if state is not InvitationState.OPEN or invitation is None:
        return render_template("people/invitation_invalid.html", state=state), _STATE_STATUS[state]

    if current_user.is_authenticated:
        form = ConfirmForm()
        if current_user.email != invitation.email:
            return render_template(
                "people/accept.html", invitation=invitation, mismatch=True, form=form
            ), 409
        if form.validate_on_submit():
            services.accept_as(db.session, invitation, current_user)
            db.session.commit()
            flash(_("Welcome to the circle of %(name)s.", name=invitation.child.name), "success")
            return redirect(url_for("children.show", child_id=invitation.child_id))
        return render_template("people/accept.html", invitation=invitation, form=form)

    if services.has_account(db.session, invitation):
        return render_template(
            "people/accept.html", invitation=invitation, sign_in_first=True, form=None
        )

    form = AcceptNewAccountForm(
        name=invitation.name if request.method == "GET" else None,
        language=invitation.language if request.method == "GET" else None,
    )
    form.known_email = invitation.email
    if form.validate_on_submit():
        try:
            user = services.accept_with_new_account(
                db.session,
                invitation,
                name=form.name.data,
                password=form.password.data,
                language=form.language.data,
            )
        except RefusedError as refused:
            db.session.rollback()
            form.form_errors.append(str(refused.message))
        else:
            session["lang"] = user.preferred_language
            language_chosen()  # the next page in the language just chosen, not the link's
            login.sign_in(user, SignInMethod.INVITATION)
            db.session.commit()
            flash(_("Welcome to the circle of %(name)s.", name=invitation.child.name), "success")
            return redirect(url_for("children.show", child_id=invitation.child_id))
    return render_template("people/accept.html", invitation=invitation, form=form)
