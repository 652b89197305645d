"""Meeting pages: the child's meetings, planning, the meeting's page, changing, cancelling,
and the calendar file."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from wtforms import SelectChoice

from app.circle import policy, routes
from app.circle.models import Child, Membership
from app.circle.policy import Action, Seat
from app.core import paging
from app.core.clock import display_zone
from app.core.concurrency import StaleEditError
from app.core.db import db
from app.core.errors import RefusedError
from app.core.forms import attempt, show_refusal
from app.core.i18n import gettext as _
from app.core.templating import id_url
from app.meetings import bp
from app.meetings.forms import KIND_LABELS, CancelForm, ContributionForm, MeetingForm
from app.meetings.models import Meeting, MeetingKind
from app.meetings.services import (
    calendar,
    contributions,
    lists,
    notices,
    planning,
    queries,
    visible,
)
from app.meetings.views import agenda_html, list_rows, parts
from app.meetings.views.mode_steps import time_writer

PER_PAGE = 20

# A kind is a MeetingKind or its value: either finds its label (a StrEnum hashes as its value).
bp.add_app_template_global(lambda kind: str(KIND_LABELS[kind]), "meeting_kind_label")


@bp.get("/children/<int:child_id>/meetings")
@routes.for_child(Action.VIEW_MEETINGS)
def index(seat: Seat) -> Any:
    number = paging.page_number(request.args.get("page"))
    page = lists.meetings_page(db.session, seat, number, PER_PAGE)
    address = id_url("meetings.show", "meeting_id", child_id=seat.child.id)
    return render_template(
        "meetings/index.html",
        child=seat.child,
        page=page,
        rows=list_rows.MeetingRows(list(page.items), address),
        holes=list_rows.HOLES,
        can_plan=seat.may(Action.PLAN_MEETING),
    )


@bp.route("/children/<int:child_id>/meetings/new", methods=["GET", "POST"])
@routes.for_child(Action.PLAN_MEETING)
def new(seat: Seat) -> Any:
    child = seat.child
    members = planning.members_to_invite(db.session, seat)
    form = MeetingForm()
    _invitee_choices(form, members)
    if request.method == "GET":
        form.guiding_question.data = child.guiding_question
        form.invitees.data = [m.user_id for m in members]
    if form.validate_on_submit():
        ok, meeting = attempt(form, lambda: planning.plan_meeting(db.session, seat, _data(form)))
        if ok and meeting is not None:
            flash(_("The meeting is planned. The invitations are on their way."), "success")
            return redirect(url_for("meetings.show", child_id=child.id, meeting_id=meeting.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "meetings/form.html", child=child, form=form, members=members, meeting=None
    ), status


@bp.get("/children/<int:child_id>/meetings/<int:meeting_id>")
@routes.for_child(Action.VIEW_MEETINGS)
def show(seat: Seat, meeting_id: int) -> Any:
    seen = queries.meeting_or_404(db.session, seat, meeting_id)
    return meeting_page(seat, seen)


def meeting_page(
    seat: Seat, seen: queries.SeenMeeting, form: ContributionForm | None = None, **followup: Any
) -> str:
    """The meeting's page as ``seat`` sees it, with ``form`` for a question to bring (sent
    back; a new one when ``seat`` may bring one now, else none); ``followup`` hands forms
    shown again to the agreements part (``parts.followup_parts``)."""
    meeting = seen.meeting
    may_contribute = contributions.may_contribute_now(seat, seen)
    if form is None and may_contribute:
        form = ContributionForm()
    # A parent sees the items whose fragments they may watch: never a hint of the others.
    shown, hidden = visible.agenda_lines_as_seen(db.session, seat, meeting, time_writer())
    clip_address = id_url("clips.show", "clip_id", child_id=seat.child.id)
    sees_notes = seat.may(Action.VIEW_PREP_NOTES)
    circle = queries.circle_at(db.session, meeting)  # who is invited, and who may own
    return render_template(
        "meetings/show.html",
        child=seat.child,
        meeting=meeting,
        invited=seen.invited,
        invitees=queries.attendees_in(circle),
        items=shown,
        agenda=agenda_html.AgendaRows(shown, clip_address, sees_notes),
        agenda_holes=agenda_html.HOLES,
        hidden_items=hidden if seat.is_school_side else 0,
        contributions=contributions.brought_to(db.session, seen),
        form=form,
        may_contribute=may_contribute,
        can_plan=seat.may(Action.PLAN_MEETING) and meeting.is_planned,
        sees_notes=sees_notes,
        **parts.followup_parts(seat, meeting, circle=circle, **followup),
        can_run=policy.may_run_meeting(seat),
    )


@bp.route("/children/<int:child_id>/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@routes.for_child(Action.PLAN_MEETING)
def edit(seat: Seat, meeting_id: int) -> Any:
    child = seat.child
    meeting = queries.meeting_or_404(db.session, seat, meeting_id).meeting
    if not meeting.is_planned:
        return no_longer_planned(meeting)
    members = planning.members_to_invite(db.session, seat)
    form = MeetingForm()
    _invitee_choices(form, members)
    if request.method == "GET":
        _fill(form, meeting)
    if form.validate_on_submit():
        version = form.version.data
        try:
            fields = planning.update_meeting(
                db.session, seat, meeting, _data(form), version=version
            )
        except StaleEditError as stale:
            db.session.rollback()
            meeting = queries.meeting_or_404(db.session, seat, meeting_id).meeting
            show_refusal(form, stale)
            form.version.data = str(meeting.version)  # the next save merges onto this one
            return _form_page(child, form, members, meeting, stale=True), 409
        except RefusedError as refused:
            db.session.rollback()
            show_refusal(form, refused)
        else:
            db.session.commit()
            flash(
                _("The changes are saved and sent to the invitees.")
                if fields
                else _("Nothing changed."),
                "success",
            )
            return redirect(url_for("meetings.show", child_id=child.id, meeting_id=meeting.id))
    status = 400 if request.method == "POST" else 200
    return _form_page(child, form, members, meeting), status


def _form_page(
    child: Child,
    form: MeetingForm,
    members: list[Membership],
    meeting: Meeting,
    *,
    stale: bool = False,
) -> str:
    return render_template(
        "meetings/form.html",
        child=child,
        form=form,
        members=members,
        meeting=meeting,
        stale=stale,
        saved_invitees={i.user_id for i in queries.invitees_of(db.session, meeting)}
        if stale
        else set(),
    )


@bp.route("/children/<int:child_id>/meetings/<int:meeting_id>/cancel", methods=["GET", "POST"])
@routes.for_child(Action.PLAN_MEETING)
def cancel(seat: Seat, meeting_id: int) -> Any:
    child = seat.child
    meeting = queries.meeting_or_404(db.session, seat, meeting_id).meeting
    if not meeting.is_planned:
        return no_longer_planned(meeting)
    form = CancelForm()
    if request.method == "GET":
        form.version.data = str(meeting.version)
    if form.validate_on_submit():
        ok, _done = attempt(
            form,
            lambda: planning.cancel_meeting(db.session, seat, meeting, version=form.version.data),
        )
        if ok:
            flash(_("The meeting is cancelled. The invitees are told."), "success")
            return redirect(url_for("meetings.show", child_id=child.id, meeting_id=meeting.id))
        meeting = queries.meeting_or_404(db.session, seat, meeting_id).meeting
        form.version.data = str(meeting.version)
    status = 400 if request.method == "POST" else 200
    return render_template("meetings/cancel.html", child=child, meeting=meeting, form=form), status


@bp.get("/children/<int:child_id>/meetings/<int:meeting_id>/calendar.ics")
@routes.for_child(Action.VIEW_MEETINGS)
def calendar_file(seat: Seat, meeting_id: int) -> Any:
    meeting = queries.meeting_or_404(db.session, seat, meeting_id).meeting
    method = calendar.REQUEST if meeting.is_planned else calendar.CANCEL
    attendees = [i.user for i in queries.invitees_of(db.session, meeting)]
    data = notices.calendar_for(meeting, method, str(get_locale()), attendees)
    return Response(
        data,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{notices.FILENAME}"'},
    )


def no_longer_planned(meeting: Meeting) -> Any:
    """Back to the meeting's page, saying why a held, finalised or cancelled meeting is not
    changed here."""
    flash(str(planning.NOT_PLANNED), "error")
    return redirect(url_for("meetings.show", child_id=meeting.child_id, meeting_id=meeting.id))


def _invitee_choices(form: MeetingForm, members: list[Membership]) -> None:
    form.invitees.choices = [SelectChoice(m.user_id, m.user.name) for m in members]


def _fill(form: MeetingForm, meeting: Meeting) -> None:
    zone = display_zone()
    starts, ends = meeting.starts_at.astimezone(zone), meeting.ends_at.astimezone(zone)
    form.kind.data = meeting.kind.value
    form.place.data = meeting.place
    form.guiding_question.data = meeting.guiding_question
    form.day.data = starts.date()
    form.start.data = starts.time().replace(tzinfo=None)
    form.end.data = ends.time().replace(tzinfo=None)
    form.invitees.data = [i.user_id for i in queries.invitees_of(db.session, meeting)]
    form.version.data = str(meeting.version)


def _data(form: MeetingForm) -> planning.MeetingData:
    # The form refuses an empty date or time before this is called.
    assert form.day.data is not None and form.start.data is not None and form.end.data
    return planning.MeetingData(
        kind=MeetingKind(form.kind.data),
        day=form.day.data,
        start=form.start.data,
        end=form.end.data,
        place=form.place.data or "",
        guiding_question=form.guiding_question.data or "",
        invitee_ids=frozenset(form.invitees.data or ()),
    )
