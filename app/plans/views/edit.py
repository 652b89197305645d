"""Changing the plan (the coach): start a draft, edit its parts, add and remove items, adopt
a need, agreement or moment, send a version to the parents. Each change names the version;
a version sent meanwhile refuses it with a clear message and nothing changes."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from app.circle import routes
from app.circle.policy import Action, Seat
from app.core.concurrency import parse_version
from app.core.db import db
from app.core.errors import NotFoundError, RefusedError
from app.core.forms import ConfirmForm, attempt
from app.core.i18n import gettext as _
from app.core.web import act
from app.plans import bp
from app.plans.forms import AdoptForm, ItemForm, PartsForm
from app.plans.models import Part, PlanVersion
from app.plans.services import drafts, sources
from app.plans.views.pages import version_parts


def _to_draft(version: PlanVersion, anchor: str = "") -> Any:
    return redirect(
        url_for("plans.edit", child_id=version.child_id, plan_version_id=version.id) + anchor
    )


def _sent_already(seat: Seat, version: PlanVersion) -> Any:
    """The sent version's page with why nothing changed (409: sent meanwhile, or a change
    aimed at a sent version)."""
    flash(str(drafts.SENT_IS_FIXED), "error")
    return render_template(
        "plans/version.html", child=seat.child, may_edit=False, **version_parts(seat, version)
    ), 409


def edit_page(
    seat: Seat,
    version: PlanVersion,
    parts_form: PartsForm | None = None,
    item_form: ItemForm | None = None,
) -> str:
    if parts_form is None:
        parts_form = PartsForm(obj=version)
    return render_template(
        "plans/edit.html",
        child=seat.child,
        parts_form=parts_form,
        item_form=item_form or ItemForm(),
        confirm_form=ConfirmForm(),
        parts=list(Part),
        **version_parts(seat, version),
    )


@bp.post("/children/<int:child_id>/plan/draft")
@routes.for_child(Action.EDIT_PLAN)
def start_draft(seat: Seat) -> Any:
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("plans.show", child_id=seat.child.id))
    draft = drafts.start_draft(db.session, seat)
    db.session.commit()
    return _to_draft(draft)


@bp.route(
    "/children/<int:child_id>/plan/versions/<int:plan_version_id>/edit", methods=["GET", "POST"]
)
@routes.for_child(Action.EDIT_PLAN)
def edit(seat: Seat, plan_version_id: int) -> Any:
    version = drafts.version_or_404(db.session, seat, plan_version_id)
    if version.is_published:
        return _sent_already(seat, version)
    form = PartsForm()
    if form.validate_on_submit():
        data = drafts.PartsData(
            plan_date=form.plan_date.data,
            exit_profile=form.exit_profile.data or "",
            exit_reasoning=form.exit_reasoning.data or "",
            deviation=form.deviation.data or "",
            evaluation=form.evaluation.data or "",
            pupil_view=form.pupil_view.data or "",
            consulted_on=form.consulted_on.data,
        )
        seen = form.edit_count.data
        ok, _done = attempt(
            form, lambda: drafts.update_parts(db.session, seat, version, data, seen=seen)
        )
        if ok:
            flash(_("The plan's draft is saved."), "success")
            return _to_draft(version)
        # Saved by someone else meanwhile: the text stays in the form, and its count moves
        # on so that the next save (after merging by hand) goes through.
        stale = parse_version(seen) != version.edit_count
        form.edit_count.data = str(version.edit_count)
        return edit_page(seat, version, parts_form=form), 409 if stale else 400
    if form.is_submitted():
        return edit_page(seat, version, parts_form=form), 400
    return edit_page(seat, version)


@bp.post("/children/<int:child_id>/plan/versions/<int:plan_version_id>/items")
@routes.for_child(Action.EDIT_PLAN)
def add_item(seat: Seat, plan_version_id: int) -> Any:
    version = drafts.version_or_404(db.session, seat, plan_version_id)
    if version.is_published:
        return _sent_already(seat, version)
    form = ItemForm()
    if form.validate_on_submit():
        data = _item_data(form)
        if data is not None:
            ok, _item = attempt(form, lambda: drafts.add_item(db.session, seat, version, data))
            if ok:
                flash(_("The item is added to the draft."), "success")
                return _to_draft(version, f"#part-{data.part.value}")
    return edit_page(seat, version, item_form=form), 400


def _item_data(form: ItemForm) -> drafts.ItemData | None:
    """The item the form describes, or None (with the message on the form) for a part
    that is not one of the plan's."""
    try:
        part = Part(form.part.data)
    except ValueError:
        form.part.errors = [_("Choose one of the parts in the list.")]
        return None
    return drafts.ItemData(
        part=part, text=form.text.data or "", target_on=form.target_on.data, who=form.who.data or ""
    )


@bp.route(
    "/children/<int:child_id>/plan/versions/<int:plan_version_id>/items/<int:plan_item_id>/edit",
    methods=["GET", "POST"],
)
@routes.for_child(Action.EDIT_PLAN)
def edit_item(seat: Seat, plan_version_id: int, plan_item_id: int) -> Any:
    version = drafts.version_or_404(db.session, seat, plan_version_id)
    item = drafts.item_or_404(db.session, version, plan_item_id)
    if version.is_published:
        return _sent_already(seat, version)
    form = ItemForm(obj=item) if request.method == "GET" else ItemForm()
    if form.validate_on_submit():
        data = _item_data(form)
        if data is not None:
            ok, _done = attempt(
                form, lambda: drafts.update_item(db.session, seat, version, item, data)
            )
            if ok:
                flash(_("The item is changed."), "success")
                return _to_draft(version, f"#item-{item.id}")
    status = 400 if request.method == "POST" else 200
    return render_template(
        "plans/edit_item.html", child=seat.child, version=version, item=item, form=form
    ), status


@bp.post(
    "/children/<int:child_id>/plan/versions/<int:plan_version_id>/items/<int:plan_item_id>/remove"
)
@routes.for_child(Action.EDIT_PLAN)
def remove_item(seat: Seat, plan_version_id: int, plan_item_id: int) -> Any:
    version = drafts.version_or_404(db.session, seat, plan_version_id)
    item = drafts.item_or_404(db.session, version, plan_item_id)
    if version.is_published:
        return _sent_already(seat, version)
    if ConfirmForm().validate_on_submit():
        act(
            lambda: drafts.remove_item(db.session, seat, version, item),
            _("The item is taken out of the draft."),
        )
    return _to_draft(version, f"#part-{item.part.value}")


@bp.post("/children/<int:child_id>/plan/versions/<int:plan_version_id>/send")
@routes.for_child(Action.EDIT_PLAN)
def send(seat: Seat, plan_version_id: int) -> Any:
    version = drafts.version_or_404(db.session, seat, plan_version_id)
    if version.is_published:
        return _sent_already(seat, version)
    if ConfirmForm().validate_on_submit():
        sent = act(
            lambda: drafts.send(db.session, seat, version),
            _("The plan is sent to the parents. This version can no longer change."),
        )
        if sent is not None:
            return redirect(url_for("plans.show", child_id=seat.child.id))
    return _to_draft(version)


@bp.post("/children/<int:child_id>/plan/adopt")
@routes.for_child(Action.EDIT_PLAN)
def adopt(seat: Seat) -> Any:
    form = AdoptForm()
    if not form.validate_on_submit():
        return render_template("plans/adopt_refused.html", child=seat.child), 400
    try:
        kind = sources.SourceKind(form.kind.data)
        source_id = int(form.source_id.data)
    except ValueError:
        raise NotFoundError("adopt_unknown_source") from None
    try:
        item = sources.adopt(db.session, seat, kind, source_id)
    except RefusedError as why:
        db.session.rollback()
        flash(str(why.message), "error")
        return redirect(url_for("plans.show", child_id=seat.child.id))
    db.session.commit()
    flash(_("Adopted into the plan's draft, with a link to where it came from."), "success")
    return _to_draft(item.plan_version, f"#item-{item.id}")
