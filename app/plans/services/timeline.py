"""The support plan's events on a child's timeline (``app.core.timeline``): a draft begun (the
school side alone reads drafts), a version sent to the parents, and each guardian's (from 16
the pupil's) signed answer on its action part, agreeing or declining.

Filtered in SQL as the plan's pages show them: everyone in the circle who reads the plan sees
the sent versions and who answered how (the circle sees the status); drafts only those who
read drafts (``policy.sees_plan_drafts``: the school side). Read from the plan's tables, never
the audit log. Built once per role, the child bound at each request (``app.core.timeline``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, String, cast, select

from app.circle import policy
from app.circle.models import Role
from app.circle.policy import Action
from app.core.timeline import CHILD, Source, event_columns, kind_when
from app.plans.models import PlanAnswer, PlanVersion

DRAFTED = "plan.drafted"
SENT = "plan.sent"
AGREED = "plan.agreed"
DECLINED = "plan.declined"

KINDS = (DRAFTED, SENT, AGREED, DECLINED)

_NUMBER = cast(PlanVersion.version, String)
_OF_CHILD = PlanVersion.child_id == CHILD
_DRAFTED = select(
    *event_columns(
        occurred_at=PlanVersion.created_at,
        kind=DRAFTED,
        object_id=PlanVersion.id,
        subject_id=PlanVersion.id,
        actor_id=PlanVersion.created_by_id,
        detail=_NUMBER,
    )
).where(_OF_CHILD)
_SENT = select(
    *event_columns(
        occurred_at=PlanVersion.published_at,
        kind=SENT,
        object_id=PlanVersion.id,
        subject_id=PlanVersion.id,
        actor_id=PlanVersion.published_by_id,
        detail=_NUMBER,
    )
).where(PlanVersion.published_at.is_not(None), _OF_CHILD)
_ANSWERED = (
    select(
        *event_columns(
            occurred_at=PlanAnswer.signed_at,
            kind=kind_when([(PlanAnswer.agrees, AGREED)], DECLINED),
            object_id=PlanAnswer.id,
            subject_id=PlanVersion.id,
            actor_id=PlanAnswer.signer_id,
            detail=_NUMBER,
        )
    )
    .join(PlanVersion, PlanVersion.id == PlanAnswer.plan_version_id)
    .where(_OF_CHILD)
)


def events(role: Role) -> list[Select[Any]]:
    """The selects of the plan's events of the child that someone in ``role`` sees, each of
    the timeline's columns; none for a role that does not read the plan. Raises nothing."""
    if not policy.role_allows(role, Action.VIEW_PLAN):
        return []
    found = [_SENT, _ANSWERED]
    if policy.role_sees_plan_drafts(role):
        found.append(_DRAFTED)
    return found


SOURCE = Source(events)
