"""Clip pages: the child's clips, and who sees a clip or a moment (audience, people in view).

Thin views: the loader (audience and consent through ``queries``), a form, a service call
from ``services.sharing``, one commit. The services decide who may change what.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from app.circle import routes
from app.circle.audience import Audience, settable_audiences
from app.circle.policy import Action, Seat
from app.clips import bp
from app.clips.forms import AudienceForm
from app.clips.models import Clip
from app.clips.services import listing, moments, queries, sharing
from app.clips.views import clip_cards
from app.core import paging
from app.core.db import db
from app.core.forms import ConfirmForm, attempt
from app.core.i18n import gettext as _
from app.core.web import act


@bp.get("/children/<int:child_id>/clips")
@routes.for_child(Action.VIEW_CLIPS)
def index(seat: Seat) -> Any:
    child = seat.child
    page = listing.clip_page(db.session, seat, paging.page_number(request.args.get("page")))
    flags = {"watched": seat.may(Action.VIEW_WATCHERS)}
    return render_template(
        "clips/index.html",
        child=child,
        page=page,
        offer=listing.upload_offer(seat),
        flags=flags,
        cards=clip_cards.cards(
            child,
            page.items,
            school_side=seat.is_school_side,
            edit_clip=seat.may(Action.EDIT_CLIP),
            may_share=listing.shareable(seat, page.items),
        ),
    )


@bp.route("/children/<int:child_id>/clips/<int:clip_id>/audience", methods=["GET", "POST"])
@routes.for_child(Action.VIEW_CLIPS)
def audience(seat: Seat, clip_id: int) -> Any:
    child = seat.child
    clip = queries.clip_or_404(seat, clip_id)
    form = _audience_form(clip.audience)
    if form.validate_on_submit():
        ok, changed = attempt(
            form,
            lambda: sharing.set_clip_audience(
                db.session, clip, Audience(form.audience.data), seat=seat
            ),
        )
        if ok:
            if changed:
                flash_audience(clip.audience)
            return redirect(url_for("clips.index", child_id=child.id))
    return render_template(
        "clips/audience.html",
        child=child,
        clip=clip,
        moment=None,
        form=form,
        choices=_choices(seat, clip.uploader_id, clip.audience),
        blocked_circle=not sharing.may_reach_circle(clip),
        back=url_for("clips.index", child_id=child.id),
    )


@bp.route(
    "/children/<int:child_id>/clips/<int:clip_id>/moments/<int:moment_id>/audience",
    methods=["GET", "POST"],
)
@routes.for_child(Action.ADD_MOMENT)
def moment_audience(seat: Seat, clip_id: int, moment_id: int) -> Any:
    child = seat.child
    clip = queries.clip_or_404(seat, clip_id)
    moment = moments.moment_or_404(seat, clip, moment_id)
    form = _audience_form(moment.audience)
    if form.validate_on_submit():
        if sharing.set_moment_audience(db.session, moment, Audience(form.audience.data), seat=seat):
            db.session.commit()
            flash_audience(moment.audience)
        return redirect(_moments_of(clip))
    return render_template(
        "clips/audience.html",
        child=child,
        clip=clip,
        moment=moment,
        form=form,
        choices=_choices(seat, moment.author_id, moment.audience),
        blocked_circle=False,
        back=_moments_of(clip),
    )


@bp.route("/children/<int:child_id>/clips/<int:clip_id>/others-cleared", methods=["GET", "POST"])
@routes.for_child(Action.EDIT_CLIP)
def others_cleared(seat: Seat, clip_id: int) -> Any:
    child = seat.child
    clip = queries.clip_or_404(seat, clip_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        act(
            lambda: sharing.confirm_others_cleared(db.session, clip, seat=seat),
            _(
                "Confirmed: the people in view are covered. "
                "You can now share the clip with the circle."
            ),
        )
        return redirect(url_for("clips.index", child_id=child.id))
    return render_template("clips/others.html", child=child, clip=clip, form=form)


@bp.post("/children/<int:child_id>/clips/<int:clip_id>/shows-others")
@routes.for_child(Action.EDIT_CLIP)
def shows_others(seat: Seat, clip_id: int) -> Any:
    clip = queries.clip_or_404(seat, clip_id)
    if ConfirmForm().validate_on_submit():
        act(
            lambda: sharing.mark_shows_others(db.session, clip, seat=seat),
            _(
                "The clip is marked as showing other people; only the school team sees it "
                "until you confirm they are covered."
            ),
        )
    return redirect(url_for("clips.index", child_id=seat.child.id))


def _audience_form(current: Audience) -> AudienceForm:
    # The current audience is shown checked on the page only: a POST without a choice is
    # no choice (the form's defaults would fill it in from an empty body).
    if request.method == "GET":
        return AudienceForm(audience=current.value)
    return AudienceForm()


def flash_audience(audience: Audience) -> None:
    flash(_("Now visible to: %(audience)s.", audience=audience.label), "success")


def _choices(seat: Seat, uploader_id: int | None, current: Audience) -> tuple[Audience, ...]:
    return settable_audiences(seat, uploader_id=uploader_id, current=current)


def _moments_of(clip: Clip) -> str:
    return url_for("clips.show", child_id=clip.child_id, clip_id=clip.id, _anchor="moments")
