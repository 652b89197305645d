"""Who answers on the action part of a child's plan: each guardian in the circle, and from
16 the pupil too (``policy.answers_plan`` says the same of one seat). The mail that a version
was sent, the answers' status and the signed PDF all ask here."""

from __future__ import annotations

from sqlalchemy import select

from app.circle import policy
from app.circle.consent_age import deciding_role
from app.circle.models import Child, Membership, Role, User
from app.core.db import DbSession


def answerers(session: DbSession, child: Child) -> list[User]:
    """The people who answer on ``child``'s plan now, by name. One query."""
    roles = [Role.PARENT] + ([Role.PUPIL] if deciding_role(child) is Role.PUPIL else [])
    people = session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.child_id == child.id,
            Membership.role.in_(roles),
            policy.active_membership_clause(),
        )
        .distinct()
    )
    return sorted(people, key=lambda person: (person.name.casefold(), person.id))
