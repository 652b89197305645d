"""The agenda pages: preparing the agenda (fragments in order, pairs, preparation notes) and
the questions invitees bring beforehand."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from wtforms import SelectChoice

from app.circle import routes
from app.circle.policy import Action, Seat
from app.clips.forms import TAG_LABELS
from app.core.concurrency import StaleEditError
from app.core.db import db
from app.core.errors import RefusedError
from app.core.forms import ConfirmForm, attempt, show_refusal
from app.core.i18n import gettext as _
from app.core.timecode import format_time
from app.core.web import act
from app.meetings import bp
from app.meetings.forms import AgendaItemForm, ContributionForm, PrepNoteForm
from app.meetings.models import Meeting
from app.meetings.services import agenda, contributions, queries
from app.meetings.views.planning import meeting_page, no_longer_planned


def _meeting(seat: Seat, meeting_id: int) -> Meeting:
    return queries.meeting_or_404(db.session, seat, meeting_id).meeting


def _back(meeting: Meeting, item_id: int | None = None) -> Any:
    # Back to the moved item, so that a keyboard user goes on from where they were.
    anchor = f"#item-{item_id}" if item_id is not None else "#agenda"
    return redirect(
        url_for("meetings.prepare", child_id=meeting.child_id, meeting_id=meeting.id) + anchor
    )


@bp.get("/children/<int:child_id>/meetings/<int:meeting_id>/agenda")
@routes.for_child(Action.PLAN_MEETING)
def prepare(seat: Seat, meeting_id: int) -> Any:
    meeting = _meeting(seat, meeting_id)
    if not meeting.is_planned:
        return no_longer_planned(meeting)
    return _prepare_page(seat, meeting, AgendaItemForm())


def _prepare_page(seat: Seat, meeting: Meeting, form: AgendaItemForm) -> str:
    picks = agenda.picks_for(db.session, seat, meeting)
    open_picks = [p for p in picks if p.refused is None]
    form.pick.choices = [SelectChoice(p.value, _pick_label(p)) for p in open_picks]
    form.pair.choices = [SelectChoice("", _("Nothing beside it"))] + [
        SelectChoice(p.value, _pick_label(p)) for p in open_picks if p.moment is None
    ]
    return render_template(
        "meetings/prepare.html",
        child=seat.child,
        meeting=meeting,
        items=agenda.agenda_of(db.session, meeting),
        form=form,
        refused=[p for p in picks if p.refused is not None],
        parents_invited=queries.home_side_invited(db.session, meeting),
        confirm_form=ConfirmForm(),
    )


def _pick_label(pick: agenda.Pick) -> str:
    setting = _("home") if pick.clip.source == "home" else _("school")
    if pick.moment is None:
        kind = _("fragment") if pick.clip.is_fragment else _("recording")
        return f"{pick.clip.title} ({kind}, {setting})"
    moment = pick.moment
    tag = str(TAG_LABELS[moment.tag]) if moment.tag is not None else _("moment")
    return f"{pick.clip.title} · {format_time(moment.start_s)} {tag} ({setting})"


@bp.post("/children/<int:child_id>/meetings/<int:meeting_id>/agenda")
@routes.for_child(Action.PLAN_MEETING)
def add_item(seat: Seat, meeting_id: int) -> Any:
    meeting = _meeting(seat, meeting_id)
    form = AgendaItemForm()
    if form.validate_on_submit():
        data = agenda.ItemData(
            pick=form.pick.data or "", pair=form.pair.data or None, prep_note=form.prep_note.data
        )
        ok, _item = attempt(form, lambda: agenda.add_item(db.session, seat, meeting, data))
        if ok:
            flash(_("The item is on the agenda."), "success")
            return _back(meeting)
    return _prepare_page(seat, meeting, form), 400


@bp.route(
    "/children/<int:child_id>/meetings/<int:meeting_id>/agenda/<int:item_id>/edit",
    methods=["GET", "POST"],
)
@routes.for_child(Action.PLAN_MEETING)
def edit_item(seat: Seat, meeting_id: int, item_id: int) -> Any:
    meeting = _meeting(seat, meeting_id)
    item = agenda.item_or_404(db.session, meeting, item_id)
    form = PrepNoteForm()
    if request.method == "GET":
        form.prep_note.data = item.prep_note
        form.version.data = str(item.version)
    status = 200
    if form.validate_on_submit():
        try:
            agenda.update_note(
                db.session, seat, meeting, item, form.prep_note.data, version=form.version.data
            )
        except StaleEditError as stale:
            db.session.rollback()
            item = agenda.item_or_404(db.session, meeting, item_id)
            show_refusal(form, stale)
            form.version.data = str(item.version)
            status = 409
        except RefusedError as refused:
            db.session.rollback()
            show_refusal(form, refused)
            status = 400
        else:
            db.session.commit()
            flash(_("The preparation note is saved."), "success")
            return _back(meeting)
    elif request.method == "POST":
        status = 400
    return render_template(
        "meetings/edit_item.html",
        child=seat.child,
        meeting=meeting,
        item=item,
        form=form,
        stale=status == 409,
    ), status


@bp.post("/children/<int:child_id>/meetings/<int:meeting_id>/agenda/<int:item_id>/move")
@routes.for_child(Action.PLAN_MEETING)
def move_item(seat: Seat, meeting_id: int, item_id: int) -> Any:
    meeting = _meeting(seat, meeting_id)
    item = agenda.item_or_404(db.session, meeting, item_id)
    step = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if ConfirmForm().validate_on_submit() and step is not None:
        act(
            lambda: agenda.move_item(db.session, seat, meeting, item, step),
            _("The agenda's order is saved."),
        )
    return _back(meeting, item.id)


@bp.post("/children/<int:child_id>/meetings/<int:meeting_id>/agenda/<int:item_id>/remove")
@routes.for_child(Action.PLAN_MEETING)
def remove_item(seat: Seat, meeting_id: int, item_id: int) -> Any:
    meeting = _meeting(seat, meeting_id)
    item = agenda.item_or_404(db.session, meeting, item_id)
    if ConfirmForm().validate_on_submit():
        act(
            lambda: agenda.remove_item(db.session, seat, meeting, item),
            _("The item is off the agenda."),
        )
    return _back(meeting)


@bp.post("/children/<int:child_id>/meetings/<int:meeting_id>/contributions")
@routes.for_child(Action.CONTRIBUTE_TO_MEETING)
def contribute(seat: Seat, meeting_id: int) -> Any:
    seen = queries.meeting_or_404(db.session, seat, meeting_id)
    contributions.require_invited(seat, seen)
    form = ContributionForm()
    if form.validate_on_submit():
        ok, _done = attempt(
            form, lambda: contributions.contribute(db.session, seat, seen, form.text.data)
        )
        if ok:
            flash(_("Your question is on the agenda."), "success")
            return redirect(
                url_for("meetings.show", child_id=seat.child.id, meeting_id=seen.meeting.id)
                + "#brought"
            )
    return meeting_page(seat, seen, form), 400
