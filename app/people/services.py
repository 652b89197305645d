"""Trajectories and circles: open a child's trajectory, invite, accept, remove.

Services take the acting user explicitly, add and flush, write the audit event, and leave the
commit to the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import Select, bindparam, func, select

from app.auth import services as auth
from app.circle.consent_age import deciding_role
from app.circle.models import Child, Invitation, Membership, Role, School, User
from app.circle.policy import active_membership_clause, becomes_staff_account
from app.core import audit
from app.core.clock import end_of_local_day, local_date
from app.core.db import DbSession, rows, utcnow
from app.core.errors import RefusedError
from app.core.i18n import lazy_gettext as _l
from app.core.links import absolute_url
from app.core.mail import queue_mail, render_mail


@dataclass(frozen=True)
class ChildData:
    name: str
    date_of_birth: date
    group_name: str
    guiding_question: str
    started_on: date | None = None


def open_trajectory(session: DbSession, school: School, data: ChildData, *, actor: User) -> Child:
    """Open a trajectory for a new child at ``school``; ``actor`` becomes the child's coach."""
    child = Child(
        school_id=school.id,
        name=data.name.strip(),
        date_of_birth=data.date_of_birth,
        group_name=data.group_name.strip(),
        guiding_question=data.guiding_question.strip(),
        started_on=data.started_on or local_date(),
        created_by_id=actor.id,
    )
    session.add(child)
    session.flush()
    membership = Membership(child_id=child.id, user_id=actor.id, role=Role.COACH)
    session.add(membership)
    session.flush()
    audit.record(session, "trajectory_opened", actor=actor, child=child, obj=child)
    audit.record(
        session, "member_added", actor=actor, child=child, obj=membership, data={"role": "coach"}
    )
    return child


def update_child(session: DbSession, child: Child, data: ChildData, *, actor: User) -> list[str]:
    """Change a child's details; returns the names of the fields that changed (audited)."""
    changed = []
    for field in ("name", "date_of_birth", "group_name", "guiding_question"):
        value = getattr(data, field)
        value = value.strip() if isinstance(value, str) else value
        if getattr(child, field) != value:
            setattr(child, field, value)
            changed.append(field)
    if changed:
        audit.record(
            session, "child_updated", actor=actor, child=child, obj=child, data={"fields": changed}
        )
    return changed


def circle(session: DbSession, child: Child) -> list[Membership]:
    """The child's current circle, coaches first, then teachers, specialists, parents."""
    params = {"child_id": child.id, "now": utcnow()}
    members = session.scalars(_circle_statement(), params).all()
    return sorted(members, key=lambda m: (_CIRCLE_ORDER[m.role], m.user.name.lower()))


#: A circle's order: coaches first, then teachers, specialists, parents, the pupil.
_CIRCLE_ORDER = {Role.COACH: 0, Role.TEACHER: 1, Role.SPECIALIST: 2, Role.PARENT: 3, Role.PUPIL: 4}


def circle_rows(session: DbSession, child: Child) -> list[Any]:
    """:func:`circle` as rows (``id``, ``user_id``, ``role``, ``active_until`` and the member's
    ``name``), in the same order, for a page that names them. One query."""
    params = {"child_id": child.id, "now": utcnow()}
    members = rows(session, _circle_rows_statement(), params)
    return sorted(members, key=lambda m: (_CIRCLE_ORDER[m.role], m.name.lower()))


def open_invitations(session: DbSession, child: Child) -> list[Invitation]:
    """Invitations into the circle that are neither accepted nor withdrawn, newest first."""
    return list(session.scalars(_open_invitations_statement(), {"child_id": child.id}))


# Built once, run with the child (and the moment) as parameters: the child's page asks them on
# every visit, and building a statement costs more than running it.


@lru_cache(maxsize=1)
def _circle_statement() -> Select[Membership]:
    return select(Membership).where(
        Membership.child_id == bindparam("child_id"), active_membership_clause(bindparam("now"))
    )


@lru_cache(maxsize=1)
def _circle_rows_statement() -> Select[*tuple[Any, ...]]:
    return (
        select(
            Membership.id,
            Membership.user_id,
            Membership.role,
            Membership.active_until,
            User.name,
        )
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.child_id == bindparam("child_id"),
            active_membership_clause(bindparam("now")),
        )
    )


@lru_cache(maxsize=1)
def _open_invitations_statement() -> Select[Invitation]:
    return (
        select(Invitation)
        .where(
            Invitation.child_id == bindparam("child_id"),
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .order_by(Invitation.created_at.desc())
    )


# --- invitations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class InvitationData:
    email: str
    name: str
    role: Role
    language: str
    access_until: date | None = None


def invite(
    session: DbSession, child: Child, data: InvitationData, *, actor: User
) -> tuple[Invitation, str]:
    """Invite someone into ``child``'s circle and mail them a single-use link.

    Raises RefusedError when the address is already in the circle or already has an open
    invitation. Returns the invitation and its secret token (only ever in the mail).
    """
    email = auth.normalise_email(data.email)
    member = session.scalar(
        select(Membership.id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.child_id == child.id, User.email == email, active_membership_clause())
    )
    if member is not None:
        raise RefusedError(_l("This person is already in the circle."), field="email")
    pending = session.scalar(
        select(Invitation.id).where(
            Invitation.child_id == child.id,
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
    )
    if pending is not None:
        raise RefusedError(
            _l("An invitation to this address is still open. Withdraw it first to send a new one."),
            field="email",
        )
    if data.role is Role.PUPIL and deciding_role(child, local_date()) is not Role.PUPIL:
        raise RefusedError(_l("A pupil joins the circle from the age of 16."), field="role")
    if data.role is Role.SPECIALIST and data.access_until is None:
        raise RefusedError(
            _l("A specialist joins for a limited time: give an end date."), field="access_until"
        )

    token = auth.new_token()
    now = utcnow()
    invitation = Invitation(
        child_id=child.id,
        email=email,
        name=data.name.strip(),
        role=data.role,
        language=data.language,
        token_hash=auth.token_digest(token),
        access_until=data.access_until if data.role is Role.SPECIALIST else None,
        created_at=now,
        expires_at=now + current_app.config["INVITATION_VALID_FOR"],
        invited_by_id=actor.id,
    )
    session.add(invitation)
    session.flush()
    link = absolute_url("people.accept", token=token, lang=data.language)
    queue_mail(
        session,
        render_mail(
            "invitation",
            to=email,
            language=data.language,
            invitation=invitation,
            child=child,
            inviter=actor,
            link=link,
            days=current_app.config["INVITATION_VALID_FOR"].days,
        ),
    )
    audit.record(
        session,
        "invitation_sent",
        actor=actor,
        child=child,
        obj=invitation,
        data={"role": data.role.value},
        personal={"email": email},
    )
    return invitation, token


class InvitationState(StrEnum):
    OPEN = "open"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"  # the child's trajectory has ended


def invitation_for_token(
    session: DbSession, token: str
) -> tuple[InvitationState, Invitation | None]:
    """Look an invitation up by its secret token and say whether it can still be accepted."""
    invitation = (
        session.scalar(select(Invitation).where(Invitation.token_hash == auth.token_digest(token)))
        if token
        else None
    )
    if invitation is None:
        return InvitationState.UNKNOWN, None
    if invitation.accepted_at is not None:
        return InvitationState.USED, invitation
    if invitation.revoked_at is not None:
        return InvitationState.WITHDRAWN, invitation
    if invitation.expires_at <= utcnow():
        return InvitationState.EXPIRED, invitation
    if invitation.child.ended_on is not None and invitation.child.ended_on <= local_date():
        return InvitationState.CLOSED, invitation
    return InvitationState.OPEN, invitation


def has_account(session: DbSession, invitation: Invitation) -> bool:
    """Whether an account with the invited address exists (then it signs in to accept)."""
    return session.scalar(select(User.id).where(User.email == invitation.email)) is not None


def _join(session: DbSession, invitation: Invitation, user: User) -> Membership:
    already = session.scalar(
        select(Membership).where(
            Membership.child_id == invitation.child_id,
            Membership.user_id == user.id,
            active_membership_clause(),
        )
    )
    now = utcnow()
    invitation.accepted_at = now
    invitation.accepted_by_id = user.id
    if already is not None:
        # Already in the circle (say, invited twice): keep the role they have.
        audit.record(
            session, "invitation_accepted", actor=user, child=invitation.child_id, obj=invitation
        )
        return already
    # "Up to and including" the day chosen, on the school's calendar.
    until = end_of_local_day(invitation.access_until) if invitation.access_until else None
    membership = Membership(
        child_id=invitation.child_id,
        user_id=user.id,
        role=invitation.role,
        active_from=now,
        active_until=until,
    )
    session.add(membership)
    session.flush()
    audit.record(
        session, "invitation_accepted", actor=user, child=invitation.child_id, obj=invitation
    )
    audit.record(
        session,
        "member_added",
        actor=user,
        child=invitation.child_id,
        obj=membership,
        data={"role": invitation.role.value, "via": "invitation"},
    )
    return membership


def accept_as(session: DbSession, invitation: Invitation, user: User) -> Membership:
    """Accept an open invitation for an existing account with the invited address."""
    if auth.normalise_email(user.email) != invitation.email:
        raise RefusedError(_l("This invitation was sent to another e-mail address."))
    return _join(session, invitation, user)


def accept_with_new_account(
    session: DbSession, invitation: Invitation, *, name: str, password: str, language: str
) -> User:
    """Create the invited person's account (with the invited address) and join the circle.

    Raises RefusedError when an account with that address exists meanwhile.
    """
    if session.scalar(select(User.id).where(User.email == invitation.email)) is not None:
        raise RefusedError(
            _l("An account with this e-mail address exists already. Sign in to accept.")
        )
    staff = becomes_staff_account(invitation.role)
    user = User(
        email=invitation.email,
        name=name.strip(),
        preferred_language=language,
        is_staff=staff,
        school_id=invitation.child.school_id if staff else None,
    )
    auth.set_password(user, password)
    session.add(user)
    session.flush()
    audit.record(session, "account_created", actor=user, obj=user, data={"via": "invitation"})
    _join(session, invitation, user)
    return user


def withdraw_invitation(session: DbSession, invitation: Invitation, *, actor: User) -> None:
    """Withdraw an open invitation: its link stops working."""
    if not invitation.is_open:
        raise RefusedError(_l("This invitation was already used or withdrawn."))
    invitation.revoked_at = utcnow()
    audit.record(
        session, "invitation_withdrawn", actor=actor, child=invitation.child_id, obj=invitation
    )


def remove_member(session: DbSession, membership: Membership, *, actor: User) -> None:
    """Take someone out of the circle; their access ends on their very next request.

    Raises RefusedError for a membership that already ended, or the circle's last coach.
    """
    now = utcnow()
    if membership.active_until is not None and membership.active_until <= now:
        raise RefusedError(_l("This person is no longer in the circle."))
    if membership.role is Role.COACH:
        coaches = session.scalar(
            select(func.count(Membership.id)).where(
                Membership.child_id == membership.child_id,
                Membership.role == Role.COACH,
                active_membership_clause(),
            )
        )
        if (coaches or 0) <= 1:
            raise RefusedError(_l("A circle needs a coach. Invite another coach first."))
    membership.active_until = now
    membership.removed_by_id = actor.id
    audit.record(
        session,
        "member_removed",
        actor=actor,
        child=membership.child_id,
        obj=membership,
        data={"role": membership.role.value, "user_id": membership.user_id},
    )
