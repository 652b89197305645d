"""The school admin's two steps to erase a child: what goes and what stays, then the child's
name typed and confirmed (``app.children.erasure`` does the work)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from app.children import bp, erasure
from app.children.forms import EraseChildForm
from app.circle import policy, routes
from app.core.db import db
from app.core.forms import attempt
from app.core.i18n import gettext as _


@bp.get("/admin/children/<int:child_id>/erase")
@routes.admin_only
def erase_child(child_id: int) -> Any:
    """Step 1: what erasing the child removes and what stays."""
    child = policy.child_to_erase_or_404(current_user, child_id)
    return render_template(
        "children/erase.html", preview=erasure.preview(db.session, child), step=1
    )


@bp.route("/admin/children/<int:child_id>/erase/confirm", methods=["GET", "POST"])
@routes.admin_only
def erase_child_confirm(child_id: int) -> Any:
    """Step 2: type the child's full name and confirm; a wrong name or no confirmation
    changes nothing."""
    child = policy.child_to_erase_or_404(current_user, child_id)
    form = EraseChildForm()
    if form.validate_on_submit():
        done, _tombstone = attempt(
            form,
            lambda: erasure.erase_child(
                db.session,
                child,
                actor=current_user,
                typed_name=form.name.data,
                confirmed=bool(form.confirm.data),
            ),
        )
        if done:
            flash(_("The child's data has been erased."), "success")
            return redirect(url_for("admin.index"))
    preview = erasure.preview(db.session, child)
    status = 400 if form.is_submitted() else 200
    return render_template("children/erase.html", preview=preview, step=2, form=form), status
