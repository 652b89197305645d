"""Clip pages: the player with its moments, adding and deleting moments, cutting a fragment,
the moments as CSV or WebVTT, and the school admin's own moment tags."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.circle import loaders, policy, routes
from app.circle.audience import Audience, settable_audiences
from app.circle.models import Child
from app.circle.policy import Action, Seat
from app.clips import bp
from app.clips.forms import (
    TAG_LABELS,
    TITLE_MAX,
    FragmentForm,
    MomentForm,
    MomentTagForm,
)
from app.clips.models import Clip, MomentTag
from app.clips.services import fragments, moments, queries
from app.clips.views.blank_forms import blank_fragment_form, blank_moment_form
from app.clips.views.moment_list import HOLES, moment_rows
from app.core import paging
from app.core.db import db
from app.core.errors import RefusedError
from app.core.forms import ConfirmForm, attempt, show_refusal
from app.core.i18n import gettext as _
from app.core.timecode import decimal_mark, format_time
from app.core.web import act

bp.add_app_template_global(moments.tag_label, "moment_tag_label")
bp.add_app_template_filter(format_time, "clip_time")
bp.add_app_template_global(decimal_mark, "clip_decimal_mark")


@bp.get("/children/<int:child_id>/clips/<int:clip_id>")
@routes.for_child(Action.VIEW_CLIPS)
def show(seat: Seat, clip_id: int) -> Any:
    clip = queries.clip_or_404(seat, clip_id)
    return _page(seat, clip)


@bp.post("/children/<int:child_id>/clips/<int:clip_id>/moments")
@routes.for_child(Action.ADD_MOMENT)
def add_moment(seat: Seat, clip_id: int) -> Any:
    child = seat.child
    clip = queries.clip_or_404(seat, clip_id)
    form = _moment_form(seat)
    if form.validate_on_submit():
        assert form.start.data is not None  # the form refuses a moment without a time
        data = moments.MomentData(
            start_s=form.start.data,
            end_s=form.end.data,
            tag=form.tag.data,
            text=form.text.data or "",
            audience=Audience(form.audience.data),
        )
        ok, moment = attempt(form, lambda: moments.add_moment(db.session, clip, data, seat=seat))
        if ok and moment is not None:
            flash(
                _("The moment at %(time)s is saved.", time=format_time(moment.start_s)), "success"
            )
            return redirect(_at(child, clip, moment.start_s, "moments"))
    return _page(seat, clip, moment_form=form), 400


@bp.route(
    "/children/<int:child_id>/clips/<int:clip_id>/moments/<int:moment_id>/delete",
    methods=["GET", "POST"],
)
@routes.for_child(Action.ADD_MOMENT)
def delete_moment(seat: Seat, clip_id: int, moment_id: int) -> Any:
    child = seat.child
    clip = queries.clip_or_404(seat, clip_id)
    moment = moments.moment_or_404(seat, clip, moment_id)
    policy.own_or_may(seat, moment.author_id, Action.EDIT_CLIP)
    form = ConfirmForm()
    if form.validate_on_submit():
        at = moment.start_s
        act(
            lambda: moments.delete_moment(db.session, moment, seat=seat),
            _("The moment is deleted."),
        )
        return redirect(_at(child, clip, at, "moments"))
    return render_template(
        "clips/delete_moment.html", child=child, clip=clip, moment=moment, form=form
    )


@bp.post("/children/<int:child_id>/clips/<int:clip_id>/fragments")
@routes.for_child(Action.EDIT_CLIP)
def cut_fragment(seat: Seat, clip_id: int) -> Any:
    child = seat.child
    recording = queries.clip_or_404(seat, clip_id)
    form = FragmentForm(audiences=fragments.audiences_for(seat, recording))
    if form.validate_on_submit():
        # the form refuses a fragment without an in point or an out point
        assert form.start.data is not None and form.end.data is not None
        data = fragments.FragmentData(
            start_s=form.start.data,
            end_s=form.end.data,
            title=form.title.data,
            audience=Audience(form.audience.data),
        )
        try:
            fragment = fragments.create_fragment(db.session, recording, data, seat=seat)
        except RefusedError as refused:
            db.session.rollback()
            if refused.field is None:  # about the recording, not the form: it may have none
                flash(str(refused.message), "error")
                return redirect(url_for("clips.show", child_id=child.id, clip_id=recording.id))
            show_refusal(form, refused)
        else:
            db.session.commit()
            fragments.queue_cut(fragment)
            flash(_("The fragment is being cut. It appears here when it is ready."), "success")
            return redirect(url_for("clips.show", child_id=child.id, clip_id=fragment.id))
    return _page(seat, recording, fragment_form=form), 400


@bp.post("/children/<int:child_id>/clips/<int:clip_id>/moments.csv")
@routes.for_child(Action.VIEW_CLIPS)
def moments_csv(seat: Seat, clip_id: int) -> Any:
    return _export(seat, clip_id, "csv")


@bp.post("/children/<int:child_id>/clips/<int:clip_id>/moments.vtt")
@routes.for_child(Action.VIEW_CLIPS)
def moments_vtt(seat: Seat, clip_id: int) -> Any:
    return _export(seat, clip_id, "vtt")


def _export(seat: Seat, clip_id: int, kind: str) -> Any:
    # A POST with the form token: an export is an audited act (DESIGN rule 6), and a GET
    # never changes anything, an audit row included.
    clip = queries.clip_or_404(seat, clip_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form has expired. Please try again."), "error")
        return redirect(url_for("clips.show", child_id=seat.child.id, clip_id=clip.id))
    shown = moments.moments_for(db.session, seat, clip)
    moments.record_export(db.session, clip, kind, len(shown), actor=seat.user)
    db.session.commit()
    if kind == "csv":
        body, mimetype = moments.export_csv(shown), "text/csv"
    else:
        body, mimetype = moments.export_vtt(shown, clip.duration_s), "text/vtt"
    response = Response(body, mimetype=mimetype)
    response.headers.set("Content-Disposition", "attachment", filename=_download_name(clip, kind))
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- the school's own tags (school admin) ---------------------------------------------------


@bp.route("/admin/moment-tags", methods=["GET", "POST"])
@routes.admin_only
def moment_tags() -> Any:
    school = current_user.school
    form = MomentTagForm()
    if form.validate_on_submit():
        ok, tag = attempt(
            form,
            lambda: moments.add_school_tag(db.session, school, form.label.data, actor=current_user),
        )
        if ok and tag is not None:
            flash(_("The label “%(label)s” is added.", label=tag.label), "success")
            return redirect(url_for("clips.moment_tags"))
    return render_template(
        "admin/moment_tags.html",
        school=school,
        form=form,
        tags=moments.school_tags(db.session, school.id),
        method_labels=[str(label) for label in TAG_LABELS.values()],
        confirm_form=ConfirmForm(),
    ), (400 if form.errors or form.form_errors else 200)


@bp.post("/admin/moment-tags/<int:tag_id>/remove")
@routes.admin_only
def remove_moment_tag(tag_id: int) -> Any:
    tag = loaders.of_school_or_404(MomentTag, current_user.school, tag_id)
    if ConfirmForm().validate_on_submit():
        label = tag.label
        act(
            lambda: moments.remove_school_tag(db.session, tag, actor=current_user),
            _("The label “%(label)s” is removed.", label=label),
        )
    return redirect(url_for("clips.moment_tags"))


# --- helpers -------------------------------------------------------------------------------


def _moment_form(
    seat: Seat, labels: Mapping[Audience, str] | None = None, **kwargs: Any
) -> MomentForm:
    return MomentForm(
        tag_choices=moments.tag_choices(db.session, seat.child.school_id),
        audiences=settable_audiences(seat, uploader_id=seat.user.id, current=None),
        audience_labels=labels,
        **kwargs,
    )


class _AudienceLabels(dict[Audience, str]):
    """The audiences' names a page shows, each translated once, when first asked."""

    def __missing__(self, audience: Audience) -> str:
        label = self[audience] = audience.label
        return label


def _page(
    seat: Seat,
    clip: Clip,
    *,
    moment_form: MomentForm | None = None,
    fragment_form: FragmentForm | None = None,
) -> str:
    child, can = seat.child, seat.permissions
    start = _start_at(clip)
    labels = _AudienceLabels()
    # An empty form is drawn from plain values (blank_forms). On a page sent back after a
    # form was sent, each form is a WTForms form: the one sent with its errors, the other
    # with what of the sent fields it shares (a time, an audience), as ever.
    sent = request.method not in ("GET", "HEAD")
    moment_blank = fragment_blank = None
    if moment_form is None and Action.ADD_MOMENT in can:
        if sent:
            moment_form = _moment_form(seat, labels, data={"start": start})
        else:
            moment_blank = blank_moment_form(
                start,
                moments.tag_choices(db.session, seat.child.school_id),
                settable_audiences(seat, uploader_id=seat.user.id, current=None),
                labels,
            )
    settable = settable_audiences(seat, uploader_id=clip.uploader_id, current=clip.audience)
    if fragment_form is None and Action.EDIT_CLIP in can and not clip.is_fragment:
        title = _("Fragment of %(title)s", title=clip.title)[:TITLE_MAX]
        if sent:
            fragment_form = FragmentForm(
                audiences=settable,  # fragments.audiences_for(seat, clip)
                audience_labels=labels,
                data={"title": title},
            )
        else:
            fragment_blank = blank_fragment_form(title, settable, labels)
    shown = moments.moment_lines(db.session, seat, clip)
    deletable = moments.deletable_ids(seat, shown)
    return render_template(
        "clips/show.html",
        child=child,
        clip=clip,
        audience_label=labels[clip.audience],
        recording=fragments.visible_recording(db.session, seat, clip),
        moments=shown,
        deletable=deletable,
        can=can,
        start=start,
        moment_form=moment_form,
        moment_blank=moment_blank,
        fragment_form=fragment_form,
        fragment_blank=fragment_blank,
        # The processing panel's buttons; the exports write the token without a form object.
        confirm_form=None if clip.is_ready else ConfirmForm(),
        may_set_audience=bool(settable),
        min_fragment=fragments.MIN_SECONDS,
        max_fragment=fragments.MAX_SECONDS,
        moment_view=_moment_values(child, clip, shown, deletable, labels),
    )


def _moment_values(
    child: Child,
    clip: Clip,
    shown: list[moments.MomentLine],
    deletable: set[int],
    labels: Mapping[Audience, str],
) -> dict[str, Any]:
    """The list of moments: its rows, to fill in the row the template draws with ``holes``."""
    ids: dict[str, Any] = {"child_id": child.id, "clip_id": clip.id}
    addresses = {
        name: paging.address_of_items(f"clips.{name}", "moment_id", **ids)
        for name in ("moment_audience", "delete_moment")
    }
    addresses["here"] = url_for("clips.show", **ids)
    return {"rows": moment_rows(shown, deletable, addresses, labels), "holes": HOLES}


def _start_at(clip: Clip) -> float:
    """Where playback starts: ``?t=`` (a moment's link, the page after saving), within the clip."""
    try:
        t = float(request.args.get("t", "0"))
    except ValueError:
        return 0.0
    duration = clip.duration_s or 0.0
    return round(min(max(t, 0.0), duration), 3) if t == t else 0.0  # NaN is not a time


def _at(child: Child, clip: Clip, seconds: float, anchor: str) -> str:
    return url_for(
        "clips.show", child_id=child.id, clip_id=clip.id, t=f"{seconds:g}", _anchor=anchor
    )


def _download_name(clip: Clip, kind: str) -> str:
    """``momenten-<title>-<id>.<kind>``: ASCII letters, digits and dashes only."""
    plain = unicodedata.normalize("NFKD", clip.title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-").lower()[:40].strip("-")
    prefix = re.sub(r"[^a-z0-9]+", "-", _("moments").lower()) or "moments"
    return f"{prefix}-{slug + '-' if slug else ''}{clip.id}.{kind}"
