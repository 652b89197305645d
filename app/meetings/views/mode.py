"""Meeting mode: one screen for the laptop on the big screen. The guiding question on top,
then one step at a time: each agenda item playing with its moments on the timeline (a pair
side by side with one play/pause) and the group's notes on it, saved as they are typed; and
last the agreements: those made in the meeting, a form for a new one, and the earlier ones
to review (``views/mode_agreements.py``). Every step has its own address and the same
navigation (``views/mode_steps.py``); attendance sits on the first.

Only the school side opens it (``policy.may_run_meeting`` says why parents do not). The page
works without script: the steps are links and every form has a save button that comes back
to its step; ``static/js/meeting-mode.js`` saves as people type and adds the keys (the
previous and next step among them). A save from the script asks for JSON
(``Accept: application/json``) and gets the new version, or 409 with what is saved now when
someone else saved first.
"""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, render_template, request
from flask_babel import format_time as babel_time
from wtforms import SelectChoice

from app.circle import routes
from app.circle.policy import Action, Seat
from app.core.concurrency import StaleEditError
from app.core.db import db
from app.core.errors import RefusedError
from app.core.forms import show_refusal
from app.core.i18n import gettext as _
from app.core.timecode import decimal_mark
from app.meetings import bp
from app.meetings.mode_forms import AttendanceForm, ItemNotesForm, notes_fields
from app.meetings.models import AgendaItem, ItemNotes, Meeting
from app.meetings.services import agenda, notes, queries, steps
from app.meetings.views.mode_agreements import agreements_step
from app.meetings.views.mode_moments import (
    BLANK_HOLES,
    MomentRows,
    cited_link,
    moment_choices,
    player_of,
    players_of,
    texts_of,
)
from app.meetings.views.mode_steps import (
    MODE,
    address,
    attendance_parts,
    leads,
    step_nav,
    step_url,
    time_writer,
)


def _meeting(seat: Seat, meeting_id: int) -> Meeting:
    return queries.meeting_or_404(db.session, seat, meeting_id).meeting


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _prefix(item_id: int) -> str:
    return f"item-{item_id}"


@bp.get(MODE)
@routes.for_child(Action.RUN_MEETING)
def mode(seat: Seat, meeting_id: int) -> Any:
    """The first step: the first item shown, else the agreements."""
    return item_step(seat, _meeting(seat, meeting_id))


@bp.get(MODE + "/items/<int:item_id>")
@routes.for_child(Action.RUN_MEETING)
def mode_item(seat: Seat, meeting_id: int, item_id: int) -> Any:
    return item_step(seat, _meeting(seat, meeting_id), item_id)


def item_step(
    seat: Seat,
    meeting: Meeting,
    item_id: int | None = None,
    *,
    posted: ItemNotesForm | None = None,
    attendance: AttendanceForm | None = None,
) -> str:
    """Item ``item_id``'s step (None: the first step, the agreements' when no item is
    shown); ``posted`` is its notes form sent back (its text kept), ``attendance`` the
    attendance form sent back. NotFoundError for an item not shown to ``seat``."""
    write = time_writer()  # the page's times: the titles of its steps, its moments'
    nav = step_nav(seat, meeting, write)
    if item_id is None and not nav.items:
        return agreements_step(seat, meeting, nav=nav, attendance=attendance)
    index = 0 if item_id is None else nav.index_of(item_id)
    item, saved = steps.item_of(db.session, meeting, nav.items[index].id)
    moments = notes.moments_for(
        db.session, seat, meeting, item.clip, item.pair_clip, parents=item.home_side
    )
    # The form is drawn by hand from the saved notes and the labels, limits and token of
    # the page (``meetings/mode.html``, as the rows of other pages); only a form sent back,
    # with its text and errors, is drawn from itself.
    need_label = _("What does %(name)s need?", name=seat.child.name)
    texts = texts_of(moments, write)
    choices = moment_choices(item, moments, texts)
    if posted is not None:
        posted.need.label.text = need_label
        posted.seen.render_kw = {**(posted.seen.render_kw or {}), "aria-keyshortcuts": "n"}
        posted.moment.choices = [
            SelectChoice(c.value, c.label, render_kw=c.render_kw) for c in choices
        ]
    cited = str(saved.need_moment_id) if saved is not None and saved.need_moment_id else ""
    fields = notes_fields(need_label)
    clip_address = address("clips.show", "clip_id", child_id=meeting.child_id)
    return render_template(
        "meetings/mode.html",
        child=seat.child,
        meeting=meeting,
        item=item,
        number=index + 1,
        item_heading=nav.items[index].title,
        moment_rows=MomentRows(moments, texts, choices, cited, clip_address),
        has_moments=any(moments.values()),
        cited_link=cited_link(item, saved, clip_address, write),
        moment_holes=BLANK_HOLES,
        row=saved,
        notes_fields=fields,
        form=posted,
        stale=posted is not None and bool(posted.version.errors),
        writable=notes.is_writable(meeting),
        sees_notes=seat.may(Action.VIEW_PREP_NOTES),
        leads_meeting=leads(seat, meeting),
        can_adopt=seat.may(Action.EDIT_PLAN),
        player_of=player_of,
        notes_address=address(
            "meetings.save_notes",
            child_id=meeting.child_id,
            meeting_id=meeting.id,
            item_id=item.id,
        ),
        clip_address=clip_address,
        players=players_of(
            item,
            address("clips.video", "clip_id", child_id=meeting.child_id),
            address("clips.poster", "clip_id", child_id=meeting.child_id),
        ),
        decimal=decimal_mark(),
        **nav.parts(index),
        **(attendance_parts(meeting, attendance, fields.token) if index == 0 else {}),
    )


def _moment_id(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return -1  # nonsense: the service refuses it like another clip's moment


@bp.post(MODE + "/items/<int:item_id>/notes")
@routes.for_child(Action.RUN_MEETING)
def save_notes(seat: Seat, meeting_id: int, item_id: int) -> Any:
    meeting = _meeting(seat, meeting_id)
    item = agenda.item_or_404(db.session, meeting, item_id)
    form = ItemNotesForm(prefix=_prefix(item.id))
    if not form.validate_on_submit() or form.version.data in (None, ""):
        if form.version.data in (None, "") and not form.errors:
            form.form_errors.append(_("The form was incomplete. Reload the page and try again."))
        return _refused(seat, meeting, item, form, 400)
    data = notes.NotesData(
        seen=form.seen.data or "", need=form.need.data or "", moment_id=_moment_id(form.moment.data)
    )
    try:
        row = notes.save_notes(db.session, seat, meeting, item, data, version=form.version.data)
    except StaleEditError as stale:
        db.session.rollback()
        show_refusal(form, stale)
        form.version.errors = [str(stale.message)]  # marks the form as the stale one
        now = notes.notes_of(db.session, meeting).get(item.id)
        form.version.data = str(now.version) if now else "0"  # the next save merges onto it
        return _refused(seat, meeting, item, form, 409, now=now)
    except RefusedError as refused:
        db.session.rollback()
        show_refusal(form, refused)
        return _refused(seat, meeting, item, form, 400)
    db.session.commit()
    message = _("Saved at %(time)s", time=babel_time(row.updated_at, "short"))
    if _wants_json():
        # The notes' id and need: the page's "Adopt into the plan" button follows them.
        return jsonify(version=row.version, message=message, notes_id=row.id, need=row.need)
    flash(message, "success")
    return redirect(step_url(meeting, item.id) + f"#item-{item.id}")


def _refused(
    seat: Seat,
    meeting: Meeting,
    item: AgendaItem,
    form: ItemNotesForm,
    status: int,
    *,
    now: ItemNotes | None = None,
) -> Any:
    if _wants_json():
        messages = [*form.form_errors] + [e for field in form for e in field.errors]
        body: dict[str, Any] = {"message": " ".join(dict.fromkeys(str(m) for m in messages))}
        if status == 409:
            body.update(
                version=int(form.version.data or 0),
                seen=now.seen if now else "",
                need=now.need if now else "",
            )
        return jsonify(body), status
    return item_step(seat, meeting, item.id, posted=form), status


@bp.post(MODE + "/attendance")
@routes.for_child(Action.RUN_MEETING)
def attendance(seat: Seat, meeting_id: int) -> Any:
    meeting = _meeting(seat, meeting_id)
    form = AttendanceForm()
    if form.validate_on_submit() and form.marked.data == "1":
        try:
            notes.mark_attendance(db.session, seat, meeting, form.present.data or [])
        except RefusedError as refused:
            db.session.rollback()
            show_refusal(form, refused)
        else:
            db.session.commit()
            message = _("Attendance is saved.")
            if _wants_json():
                return jsonify(message=message)
            flash(message, "success")
            return redirect(step_url(meeting) + "#attendance")
    elif form.marked.data != "1" and not form.errors:
        form.form_errors.append(_("The form was incomplete. Reload the page and try again."))
    if _wants_json():
        messages = [*form.form_errors] + [e for field in form for e in field.errors]
        return jsonify(message=" ".join(str(m) for m in messages)), 400
    return item_step(seat, meeting, attendance=form), 400
