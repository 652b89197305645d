"""What a school admin does: staff accounts. An admin never touches a child's content."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from app.auth import factors
from app.auth import services as auth
from app.circle.models import Child, School, User
from app.core import audit, timestamps
from app.core.db import DbSession
from app.core.errors import RefusedError
from app.core.i18n import lazy_gettext as _l

ACTIVATION_VALID_FOR = timedelta(days=7)


@dataclass(frozen=True)
class StaffData:
    name: str
    email: str
    language: str
    is_school_admin: bool


def staff_of(session: DbSession, school: School) -> list[User]:
    """The school's staff accounts, by name."""
    return list(
        session.scalars(
            select(User)
            .where(User.school_id == school.id, User.is_staff.is_(True))
            .order_by(User.name)
        )
    )


def children_of(session: DbSession, school: School) -> list[tuple[int, str]]:
    """Only the ids and names of the school's children: an admin sees nothing else about
    them (the id to erase one)."""
    rows = session.execute(
        select(Child.id, Child.name).where(Child.school_id == school.id).order_by(Child.name)
    )
    return [(row.id, row.name) for row in rows]


def create_staff(
    session: DbSession, school: School, data: StaffData, *, actor: User | None
) -> User:
    """Create a staff account and mail a link to choose a password.

    ``actor`` is None when a command creates the school's first admin. Raises RefusedError
    when the address already has an account.
    """
    email = auth.normalise_email(data.email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise RefusedError(_l("An account with this e-mail address exists already."), field="email")
    user = User(
        email=email,
        name=data.name.strip(),
        preferred_language=data.language,
        is_staff=True,
        is_school_admin=data.is_school_admin,
        school_id=school.id,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        "staff_created",
        actor=actor,
        obj=user,
        data={"admin": data.is_school_admin},
        personal={"email": email},
    )
    auth.create_password_link(session, user, valid_for=ACTIVATION_VALID_FOR, purpose="activate")
    return user


def set_deactivated(session: DbSession, user: User, deactivated: bool, *, actor: User) -> None:
    """Deactivate (signing out everywhere at once) or reactivate a staff account.

    Raises RefusedError when an admin tries to deactivate their own account.
    """
    if deactivated and user.id == actor.id:
        raise RefusedError(_l("You cannot deactivate your own account."))
    user.is_deactivated = deactivated
    if deactivated:
        auth.end_other_sessions(session, user)
    audit.record(
        session, "staff_deactivated" if deactivated else "staff_reactivated", actor=actor, obj=user
    )


def paused_sign_ins(users: list[User]) -> set[int]:
    """The ids of those of ``users`` whose sign-in is paused after too many failures."""
    return {user.id for user in users if auth.sign_in_paused(user.email)}


def lift_sign_in_pause(session: DbSession, user: User, *, actor: User) -> None:
    """Let a staff account whose sign-in is paused after failed attempts sign in again now.

    Audited. Raises RefusedError when its sign-in is not paused.
    """
    if not auth.sign_in_paused(user.email):
        raise RefusedError(_l("Signing in is not paused for %(name)s.", name=user.name))
    auth.lift_sign_in_pause(user.email)
    audit.record(session, "sign_in_pause_lifted", actor=actor, obj=user)


def resend_activation(session: DbSession, user: User, *, actor: User) -> None:
    """Mail a new link to choose a password (for staff who lost the first one)."""
    auth.create_password_link(session, user, valid_for=ACTIVATION_VALID_FOR, purpose="activate")


def set_sign_in_rules(
    session: DbSession,
    school: School,
    *,
    second_factor_required: bool,
    passkey_sign_in_allowed: bool,
    seals_need_timestamp: bool,
    actor: User,
) -> None:
    """The school's sign-in and seal rules: staff must use a second factor; a passkey alone
    may sign in; seals must carry a trusted time (changed only while the installation has a
    time-stamping authority: without one the rule is not offered). Each change is audited."""
    # (the school's column, the value wanted, the audit event, the event's word for it)
    rules = [
        ("staff_second_factor_required", second_factor_required, "school_second_factor_rule",
         "required"),
        ("passkey_sign_in_allowed", passkey_sign_in_allowed, "school_passkey_sign_in_rule",
         "allowed"),
    ]  # fmt: skip
    if timestamps.authority_url() is not None:
        rules.append(
            ("seals_need_timestamp", seals_need_timestamp, "school_timestamp_rule", "required")
        )
    for column, wanted, action, word in rules:
        if getattr(school, column) != wanted:
            setattr(school, column, wanted)
            audit.record(session, action, actor=actor, obj=school, data={word: wanted})


def with_second_factor(session: DbSession, school: School) -> set[int]:
    """The ids of the school's staff who have a second factor (one query)."""
    return factors.users_with_second_factor(
        session, select(User.id).where(User.school_id == school.id, User.is_staff.is_(True))
    )


def reset_second_factor(session: DbSession, user: User, *, actor: User) -> None:
    """Remove a staff member's second factor (they lost their phone, say): audited, mailed.

    Raises RefusedError for the admin's own account (their own page does that, with the
    factor asked first)."""
    if user.id == actor.id:
        raise RefusedError(_l("Reset your own second factor on your account page."))
    factors.reset_second_factor(session, user, actor=actor)
