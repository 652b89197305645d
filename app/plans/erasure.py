"""Erasing a child's support plan: every version, sent or draft, with its items, the parents'
views, the reminders and the signed answers.

A sent version and a signed answer are locked against change (:mod:`app.plans.lock`, the
``Immutable`` guard); erasure destroys them, all at once, in plain DELETE statements the
guards never see. The plan's PDFs are documents and go (or stay, within their retention term)
with the documents' eraser.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from app.circle.models import Child
from app.core.db import DbSession
from app.plans.models import PlanAnswer, PlanItem, PlanParentView, PlanReminder, PlanVersion


def erase_child(session: DbSession, child: Child) -> None:
    """Delete ``child``'s plan and everything below it. Raises nothing beyond database
    errors; the caller commits."""
    versions = select(PlanVersion.id).where(PlanVersion.child_id == child.id)
    session.execute(delete(PlanAnswer).where(PlanAnswer.child_id == child.id))
    session.execute(delete(PlanReminder).where(PlanReminder.plan_version_id.in_(versions)))
    session.execute(delete(PlanItem).where(PlanItem.child_id == child.id))
    session.execute(delete(PlanParentView).where(PlanParentView.child_id == child.id))
    session.execute(delete(PlanVersion).where(PlanVersion.child_id == child.id))
