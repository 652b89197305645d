"""Reading the plan: the plan's page (the version in force, the draft for the school side,
the history), one version, two versions side by side, and a parent's own view."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from app.circle import policy, routes
from app.circle.policy import Action, Seat
from app.core import audit
from app.core.db import db
from app.core.errors import NotFoundError
from app.core.forms import ConfirmForm, attempt
from app.core.i18n import gettext as _
from app.documents.services import send_document
from app.plans import bp, labels
from app.plans.forms import ViewForm
from app.plans.models import PlanVersion
from app.plans.services import answers, document, drafts, parents, snapshot, sources
from app.plans.services import compare as comparing

bp.add_app_template_global(lambda part: str(labels.PART_LABELS[part]), "plan_part_label")


def version_parts(seat: Seat, version: PlanVersion) -> dict[str, Any]:
    """What a template needs to show ``version`` to ``seat``: its items and their evidence."""
    items = drafts.items_of(db.session, version)
    return {
        "version": version,
        "items": items,
        "evidence": sources.evidence(db.session, seat, items),
    }


def plan_page(seat: Seat, view_form: ViewForm | None = None) -> str:
    child = seat.child
    current = drafts.in_force(db.session, seat)
    draft = drafts.draft_of(db.session, seat) if policy.sees_plan_drafts(seat) else None
    may_write_view = seat.may(Action.WRITE_PLAN_VIEW)
    own = parents.own_view(db.session, seat) if may_write_view else None
    if view_form is None and may_write_view:
        view_form = ViewForm(data={"text": own.text if own else ""})
    states = answers.states(db.session, current) if current is not None else []
    may_answer = policy.answers_plan(seat) and seat.may(Action.SIGN_PLAN)
    return render_template(
        "plans/show.html",
        child=child,
        answer_states=states,
        may_answer=may_answer,
        answered=any(s.person.id == seat.user.id and s.record for s in states),
        current=version_parts(seat, current) if current is not None else None,
        draft=draft,
        versions=drafts.versions_for(db.session, seat),
        views=parents.views_of(db.session, child),
        view_form=view_form,
        may_edit=seat.may(Action.EDIT_PLAN),
        confirm_form=ConfirmForm(),
    )


@bp.get("/children/<int:child_id>/plan")
@routes.for_child(Action.VIEW_PLAN)
def show(seat: Seat) -> Any:
    return plan_page(seat)


@bp.get("/children/<int:child_id>/plan/versions/<int:plan_version_id>")
@routes.for_child(Action.VIEW_PLAN)
def version(seat: Seat, plan_version_id: int) -> Any:
    found = drafts.version_or_404(db.session, seat, plan_version_id)
    current = drafts.in_force(db.session, seat)
    in_force = current is not None and current.id == found.id
    may_answer = in_force and policy.answers_plan(seat) and seat.may(Action.SIGN_PLAN)
    return render_template(
        "plans/version.html",
        child=seat.child,
        may_edit=seat.may(Action.EDIT_PLAN) and not found.is_published,
        issued=document.document_of(db.session, found) if found.is_published else None,
        may_answer=may_answer,
        mine=answers.answer_of(db.session, found, seat.user) if may_answer else None,
        **version_parts(seat, found),
    )


def _snapshot(seat: Seat, version: PlanVersion) -> dict[str, Any]:
    stored = snapshot.load(version)
    if stored is not None:
        return stored
    items = drafts.items_of(db.session, version)
    return snapshot.of(version, items, parents.views_of(db.session, seat.child))


def _id(name: str) -> int:
    try:
        value = int(request.args.get(name, ""))
    except ValueError:
        raise NotFoundError("plan_version_not_a_number") from None
    if not 1 <= value < 2**31:
        raise NotFoundError("plan_version_out_of_range")
    return value


@bp.get("/children/<int:child_id>/plan/compare")
@routes.for_child(Action.VIEW_PLAN)
def compare(seat: Seat) -> Any:
    versions = drafts.versions_for(db.session, seat)
    if "older" in request.args or "newer" in request.args:
        older = drafts.version_or_404(db.session, seat, _id("older"))
        newer = drafts.version_or_404(db.session, seat, _id("newer"))
    elif len(versions) < 2:
        flash(_("There is only one version: nothing to compare yet."), "info")
        return redirect(url_for("plans.show", child_id=seat.child.id))
    else:
        newer, older = versions[0], versions[1]
    if older.version > newer.version:
        older, newer = newer, older
    return render_template(
        "plans/compare.html",
        child=seat.child,
        versions=versions,
        older=older,
        newer=newer,
        sections=comparing.side_by_side(_snapshot(seat, older), _snapshot(seat, newer)),
    )


@bp.post("/children/<int:child_id>/plan/view")
@routes.for_child(Action.WRITE_PLAN_VIEW)
def write_view(seat: Seat) -> Any:
    form = ViewForm()
    if form.validate_on_submit():
        ok, _view = attempt(
            form, lambda: parents.write_view(db.session, seat, form.text.data or "")
        )
        if ok:
            flash(_("Your view is saved. The coach can read it."), "success")
            return redirect(url_for("plans.show", child_id=seat.child.id) + "#parents-view")
    return plan_page(seat, form), 400


@bp.get("/children/<int:child_id>/plan/versions/<int:plan_version_id>/pdf")
@routes.for_child(Action.VIEW_PLAN)
def version_pdf(seat: Seat, plan_version_id: int) -> Any:
    found = drafts.version_or_404(db.session, seat, plan_version_id)
    issued = document.document_of(db.session, found)
    if issued is None:
        raise NotFoundError("plan_version_without_document")
    audit.record(
        db.session,
        "document_downloaded",
        actor=seat.user,
        child=seat.child,
        obj=issued,
        data={"kind": issued.kind.value, "plan_version": found.id},
    )
    db.session.commit()
    return send_document(issued)
