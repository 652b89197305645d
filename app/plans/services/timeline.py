"""The support plan's events on a child's timeline (``app.core.timeline``): a draft begun (the
school side alone reads drafts), a version sent to the parents, and each guardian's (from 16
the pupil's) signed answer on its action part, agreeing or declining.

Filtered in SQL as the plan's pages show them: everyone in the circle who reads the plan sees
the sent versions and who answered how (the circle sees the status); drafts only those who
read drafts (``policy.sees_plan_drafts``). Read from the plan's tables, never the audit log.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, String, cast, select

from app.circle import policy
from app.circle.policy import Action, Seat
from app.core.timeline import event_columns, kind_when
from app.plans.models import PlanAnswer, PlanVersion

DRAFTED = "plan.drafted"
SENT = "plan.sent"
AGREED = "plan.agreed"
DECLINED = "plan.declined"

KINDS = (DRAFTED, SENT, AGREED, DECLINED)

_NUMBER = cast(PlanVersion.version, String)
_DRAFTED = select(
    *event_columns(
        occurred_at=PlanVersion.created_at,
        kind=DRAFTED,
        object_id=PlanVersion.id,
        subject_id=PlanVersion.id,
        actor_id=PlanVersion.created_by_id,
        detail=_NUMBER,
    )
)
_SENT = select(
    *event_columns(
        occurred_at=PlanVersion.published_at,
        kind=SENT,
        object_id=PlanVersion.id,
        subject_id=PlanVersion.id,
        actor_id=PlanVersion.published_by_id,
        detail=_NUMBER,
    )
).where(PlanVersion.published_at.is_not(None))
_ANSWERED = select(
    *event_columns(
        occurred_at=PlanAnswer.signed_at,
        kind=kind_when([(PlanAnswer.agrees, AGREED)], DECLINED),
        object_id=PlanAnswer.id,
        subject_id=PlanVersion.id,
        actor_id=PlanAnswer.signer_id,
        detail=_NUMBER,
    )
).join(PlanVersion, PlanVersion.id == PlanAnswer.plan_version_id)


def events(seat: Seat) -> list[Select[Any]]:
    """The selects of the plan's events of ``seat``'s child that ``seat`` sees, each of the
    timeline's columns; none for someone who does not read the plan. Raises nothing."""
    if not seat.may(Action.VIEW_PLAN):
        return []
    child = PlanVersion.child_id == seat.child.id
    found = [_SENT.where(child), _ANSWERED.where(child)]
    if policy.sees_plan_drafts(seat):
        found.append(_DRAFTED.where(child))
    return found
