"""The children list (home) and the child's page: what each feature shows about one child.

This module sits above the features and imports each one it shows by name; a feature never
imports it. Every piece costs a fixed number of queries, so the page never asks more as a
feature's rows grow.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import get_locale
from flask_login import current_user

from app.children import bp
from app.children import page_rows as rows
from app.children import timeline as child_timeline
from app.circle import policy, routes
from app.circle.models import Child, Role
from app.circle.policy import Action, Seat
from app.clips.services import listing as clips
from app.consent import services as consent
from app.core import paging, search
from app.core.db import db
from app.core.forms import ConfirmForm
from app.meetings.services import agreements
from app.meetings.services import queries as meetings
from app.people import services as people
from app.people.forms import ROLE_LABELS

#: Children on one page of the list: a coach may be in hundreds of circles.
PER_PAGE = 24


@bp.get("/")
@routes.signed_in
def index() -> Any:
    query = search.search_text(request.args.get("q"))
    stmt = policy.children_of(current_user)
    if query:
        stmt = stmt.where(search.folded_contains(Child.name_folded, query))
    page = paging.paginate(db.session, stmt, paging.page_number(request.args.get("page")), PER_PAGE)
    return render_template(
        "children/index.html",
        page=page,
        query=query,
        # Once per list, not once per card: the cards repeat them.
        child_address=paging.address_of_items("children.show", "child_id"),
        role_labels={role: str(ROLE_LABELS[role]) for _, role in page.items},
        can_open=policy.may_open_trajectory(current_user),
        can_manage_school=policy.may_manage_school(current_user),
    )


@bp.get("/children/<int:child_id>")
@routes.for_child(Action.VIEW_CHILD)
def show(seat: Seat) -> Any:
    child = seat.child
    can = seat.permissions
    members = people.circle_rows(db.session, child)
    template = consent.published_template(db.session, child.school_id)
    open_agreements = agreements.open_for_child_page(db.session, seat)
    overdue = {a.id for a in open_agreements if agreements.overdue_for(seat, a)}
    invitations = people.open_invitations(db.session, child) if Action.INVITE in can else []
    return render_template(
        "children/show.html",
        child=child,
        members=rows.member_rows(
            child, members, seat.user.id, may_remove=Action.MANAGE_CIRCLE in can
        ),
        invitations=invitations,
        can=can,
        my_role=seat.role,
        # The withdraw buttons' token; no form to make without an invitation to withdraw.
        confirm_form=ConfirmForm() if invitations else None,
        consent_status=consent.status(db.session, child),
        consent_labels=consent.text_in(template, str(get_locale()))["purposes"]
        if template
        else None,
        signer_names={m.user_id: m.name for m in members},
        may_sign=policy.decides_for_child(seat),
        pupil_in_circle=any(m.role is Role.PUPIL for m in members),
        clip_count=clips.count_visible(db.session, seat),
        upcoming_meetings=rows.meeting_rows(child, meetings.upcoming_for(db.session, seat)),
        open_agreements=rows.agreement_rows(child, open_agreements, overdue),
    )


@bp.get("/children/<int:child_id>/timeline")
@routes.for_child(Action.VIEW_CHILD)
def timeline(seat: Seat) -> Any:
    # Everyone in the circle reaches it; each feature's events are filtered for the seat.
    number = paging.page_number(request.args.get("page"))
    return render_template(
        "children/timeline.html",
        child=seat.child,
        page=child_timeline.timeline_page(db.session, seat, number),
    )
