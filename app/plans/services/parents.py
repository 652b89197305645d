"""The parents' view of the plan, in their own words: one per parent, written and changed in
the portal by the parent alone; a version sent to the parents carries them as they were."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.circle.models import Child
from app.circle.policy import Seat
from app.core import audit
from app.core.db import DbSession, utcnow
from app.core.errors import RefusedError
from app.core.i18n import lazy_gettext as _l
from app.plans.models import PlanParentView

VIEW_MAX = 4000


def views_of(session: DbSession, child: Child) -> list[PlanParentView]:
    """The parents' views of ``child``'s plan, by the parent's name. One query."""
    rows = session.scalars(
        select(PlanParentView)
        .where(PlanParentView.child_id == child.id)
        .options(joinedload(PlanParentView.author))
    )
    return sorted(rows, key=lambda view: (view.author.name.casefold(), view.author_id))


def own_view(session: DbSession, seat: Seat) -> PlanParentView | None:
    """The view ``seat``'s person wrote of the plan, or None."""
    return session.scalar(
        select(PlanParentView).where(
            PlanParentView.child_id == seat.child.id, PlanParentView.author_id == seat.user.id
        )
    )


def write_view(session: DbSession, seat: Seat, text: str) -> PlanParentView:
    """Store (or replace) ``seat``'s person's own view of the plan. Raises RefusedError for an
    empty or too long text; nothing is stored then."""
    text = text.strip()
    if not text:
        raise RefusedError(_l("Write your view of the plan."), field="text")
    if len(text) > VIEW_MAX:
        raise RefusedError(_l("Use at most %(max)d characters.", max=VIEW_MAX), field="text")
    view = own_view(session, seat)
    if view is None:
        view = PlanParentView(child_id=seat.child.id, author_id=seat.user.id, text=text)
        session.add(view)
    view.text = text
    view.updated_at = utcnow()
    session.flush()
    audit.record(session, "plan_parent_view_written", actor=seat.user, child=seat.child, obj=view)
    return view
