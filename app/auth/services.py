"""Accounts: passwords, sign-in with throttling, server-side sessions, reset links.

Nothing here reads the request; views pass in what they know (address, device).
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from limits import parse
from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import object_session

from app.auth.models import PasswordToken, UserSession
from app.circle.models import User
from app.core import audit
from app.core.db import DbSession, utcnow
from app.core.links import absolute_url
from app.core.mail import queue_mail, render_mail
from app.core.passwords import PASSWORD_MAX, PASSWORD_MIN, password_problem
from app.core.signin import SignInMethod
from app.extensions import limiter

# The rules live in the core (forms use them too); callers still find them here.
__all__ = ["PASSWORD_MAX", "PASSWORD_MIN", "password_problem"]


def new_token() -> str:
    """A fresh URL-safe secret (256 bits)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What is stored for a token: its SHA-256, so a database leak reveals no live link."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


# --- passwords ------------------------------------------------------------------------------


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"],
        memory_cost=cfg["ARGON2_MEMORY_COST"],
        parallelism=cfg["ARGON2_PARALLELISM"],
    )


def set_password(user: User, password: str) -> None:
    """Hash and store ``password`` (argon2id) and end every open password link of ``user``.

    The caller checks password_problem first. Every route that sets a password comes here
    (reset link, account page, invitation, demo data), so none can leave an older link alive.
    Raises nothing of its own.
    """
    user.password_hash = _hasher().hash(password)
    user.password_changed_at = utcnow()
    session = object_session(user)
    if session is not None and user.id is not None:
        session.execute(
            update(PasswordToken)
            .where(PasswordToken.user_id == user.id, PasswordToken.used_at.is_(None))
            .values(used_at=user.password_changed_at)
            .execution_options(synchronize_session="fetch")
        )


def check_password(user: User | None, password: str) -> bool:
    """Verify ``password``; rehash when the parameters changed. Unknown users cost the same."""
    hasher = _hasher()
    if user is None or not user.password_hash:
        _burn_time(hasher, password)
        return False
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


def _burn_time(hasher: PasswordHasher, password: str) -> None:
    dummy = _dummy_hash(hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    with contextlib.suppress(VerificationError, InvalidHashError):
        hasher.verify(dummy, password)


@cache
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    return PasswordHasher(time_cost, memory_cost, parallelism).hash(secrets.token_hex(16))


# --- throttling: sign-in and the current-password check ------------------------------------


@dataclass(frozen=True)
class Throttle:
    blocked: bool
    retry_minutes: int = 0


def _limits() -> list[tuple[str, str]]:
    cfg = current_app.config
    return [
        ("account", cfg["SIGN_IN_LIMIT_PER_ACCOUNT"]),
        ("address", cfg["SIGN_IN_LIMIT_PER_ADDRESS"]),
    ]


def _account_key(email: str) -> str:
    # A digest: rate-limit storage never holds a typed e-mail address.
    return token_digest(normalise_email(email))


def throttle(scope: str, account: str, address: str) -> Throttle:
    """Whether checks in ``scope`` are paused for this account or this address (the sign-in
    limits, counted apart per scope: guessing one never pauses another)."""
    keys = {"account": account, "address": address}
    worst = 0
    for kind, limit in _limits():
        item = parse(limit)
        if not limiter.limiter.test(item, scope, kind, keys[kind]):
            reset_at, _ = limiter.limiter.get_window_stats(item, scope, kind, keys[kind])
            seconds = max(int(reset_at - utcnow().timestamp()), 60)
            worst = max(worst, -(-seconds // 60))
    return Throttle(blocked=worst > 0, retry_minutes=worst)


def count_failure(scope: str, account: str, address: str) -> None:
    """Count one wrong guess in ``scope`` against the account and against the address."""
    keys = {"account": account, "address": address}
    for kind, limit in _limits():
        limiter.limiter.hit(parse(limit), scope, kind, keys[kind])


def sign_in_throttle(email: str, address: str) -> Throttle:
    """Whether sign-in for this account or from this address is paused after failures."""
    return throttle("sign-in", _account_key(email), address)


def count_failed_sign_in(email: str, address: str) -> None:
    """Count one failed sign-in against the account and against the address."""
    count_failure("sign-in", _account_key(email), address)


def sign_in_paused(email: str) -> bool:
    """Whether sign-in to this account is paused after failures (whatever the address)."""
    _, limit = _limits()[0]
    return not limiter.limiter.test(parse(limit), "sign-in", "account", _account_key(email))


def lift_sign_in_pause(email: str) -> None:
    """Forget the failed sign-ins counted against this account, so it may sign in at once.

    The counters of addresses stay: an address that kept guessing remains paused.
    """
    _, limit = _limits()[0]
    limiter.limiter.clear(parse(limit), "sign-in", "account", _account_key(email))


def authenticate(session: DbSession, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (same work either way)."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    ok = check_password(user, password)
    if not ok or user is None or user.is_deactivated:
        return None
    return user


def record_failed_sign_in(session: DbSession, email: str, *, throttled: bool = False) -> None:
    """Audit a failed or throttled sign-in; the typed address goes to the erasable part."""
    user = session.scalar(select(User.id).where(User.email == normalise_email(email)))
    audit.record(
        session,
        "sign_in_throttled" if throttled else "sign_in_failed",
        actor=user,
        personal={"email": normalise_email(email)[:254]},
    )


# --- server-side sessions -------------------------------------------------------------------


def has_staff_idle_timeout(session: DbSession, user: User) -> bool:
    """Staff and school admins, and anyone on the school side of a circle (``SCHOOL_SIDE``;
    an ended membership counts too, as a shorter time-out harms no one): these get the staff
    idle time-out."""
    from app.circle.models import Membership
    from app.circle.policy import SCHOOL_SIDE

    if user.is_staff or user.is_school_admin:
        return True
    return (
        session.scalar(
            select(Membership.id)
            .where(
                Membership.user_id == user.id,
                Membership.role.in_(SCHOOL_SIDE),
            )
            .limit(1)
        )
        is not None
    )


def start_session(session: DbSession, user: User, method: SignInMethod) -> str:
    """Create a server-side session for ``user`` and return its secret token (for the cookie)."""
    cfg = current_app.config
    staff_like = has_staff_idle_timeout(session, user)
    idle = cfg["STAFF_IDLE_TIMEOUT"] if staff_like else cfg["OTHER_IDLE_TIMEOUT"]
    token = new_token()
    now = utcnow()
    session.add(
        UserSession(
            user_id=user.id,
            token_hash=token_digest(token),
            method=method,
            idle_minutes=int(idle.total_seconds() // 60),
            created_at=now,
            expires_at=now + cfg["SESSION_ABSOLUTE_TIMEOUT"],
        )
    )
    audit.record(session, "sign_in", actor=user, data={"method": method.value})
    return token


def session_for_token(session: DbSession, token: str | None) -> UserSession | None:
    """The live session with this token, or None when unknown, revoked or past its lifetime."""
    if not token:
        return None
    row = session.scalar(select(UserSession).where(UserSession.token_hash == token_digest(token)))
    if row is None or row.expires_at <= utcnow() or row.user.is_deactivated:
        return None
    return row


def upgrade_session(session: DbSession, row: UserSession, method: SignInMethod) -> str:
    """Record that this session has now proven ``method`` (a second factor added or shown
    after a password-only start) under a fresh token, as at any sign-in; returns the token."""
    token = new_token()
    row.token_hash = token_digest(token)
    row.method = method
    audit.record(session, "session_upgraded", actor=row.user_id, data={"method": method.value})
    return token


def end_session(session: DbSession, token: str | None, *, actor: User | None) -> None:
    """Revoke the session with this token: the cookie stops working everywhere at once."""
    if token:
        session.execute(delete(UserSession).where(UserSession.token_hash == token_digest(token)))
    if actor is not None:
        audit.record(session, "sign_out", actor=actor)


def end_other_sessions(session: DbSession, user: User, keep_token: str | None = None) -> int:
    """Revoke every session of ``user`` except the one holding ``keep_token``; return how many."""
    stmt = delete(UserSession).where(UserSession.user_id == user.id)
    if keep_token:
        stmt = stmt.where(UserSession.token_hash != token_digest(keep_token))
    # A DELETE's result is a CursorResult at run time; Session.execute() is typed with the
    # wider Result, which has no rowcount.
    result = cast(CursorResult[Any], session.execute(stmt))
    return result.rowcount or 0


@dataclass(frozen=True)
class PasswordChange:
    """What became of a password change: done, refused (wrong current password), or paused."""

    changed: bool
    retry_minutes: int = 0  # more than 0 when checks are paused after too many wrong guesses

    @property
    def throttled(self) -> bool:
        return self.retry_minutes > 0


def change_password(
    session: DbSession, user: User, current: str, new: str, *, keep_token: str | None, address: str
) -> PasswordChange:
    """Change the password after checking the current one; end the user's other sessions.

    The check is throttled like sign-in (same limits, per account and per address, with its
    own counters so that guessing here never locks the person out of signing in), and every
    wrong or paused attempt is audited. Raises nothing of its own.
    """
    account = _account_key(user.email)
    paused = throttle("password-check", account, address)
    if paused.blocked:
        audit.record(session, "password_check_throttled", actor=user)
        return PasswordChange(changed=False, retry_minutes=paused.retry_minutes)
    if not check_password(user, current):
        count_failure("password-check", account, address)
        audit.record(session, "password_check_failed", actor=user)
        return PasswordChange(changed=False)
    set_password(user, new)
    ended = end_other_sessions(session, user, keep_token)
    audit.record(session, "password_changed", actor=user, data={"sessions_ended": ended})
    return PasswordChange(changed=True)


# --- password links (reset, first password of a staff account) ------------------------------


def create_password_link(
    session: DbSession, user: User, *, valid_for: timedelta, purpose: str = "reset"
) -> str:
    """Store a single-use, expiring link for ``user`` and mail it. Returns the token."""
    token = new_token()
    now = utcnow()
    session.add(
        PasswordToken(
            user_id=user.id,
            token_hash=token_digest(token),
            created_at=now,
            expires_at=now + valid_for,
        )
    )
    link = absolute_url("auth.reset", token=token)
    template = "activate_account" if purpose == "activate" else "password_reset"
    queue_mail(
        session,
        render_mail(
            template,
            to=user.email,
            language=user.preferred_language,
            user=user,
            link=link,
            hours=int(valid_for.total_seconds() // 3600),
            minutes=int(valid_for.total_seconds() // 60),
        ),
    )
    audit.record(session, f"password_link_{purpose}", actor=user, obj=user)
    return token


def request_password_reset(session: DbSession, email: str) -> None:
    """Mail a reset link when an active account has this address; otherwise do nothing.

    The caller answers the same either way, so nobody learns whether an address is known.
    """
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or user.is_deactivated:
        return
    create_password_link(session, user, valid_for=current_app.config["RESET_VALID_FOR"])


def password_token(session: DbSession, token: str) -> PasswordToken | None:
    """The unused, unexpired password link with this token, made after the account's last
    password change, or None. Raises nothing."""
    row = session.scalar(
        select(PasswordToken).where(PasswordToken.token_hash == token_digest(token))
    )
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    if row.user.is_deactivated:
        return None
    # set_password spends open links; this also catches a password changed any other way.
    changed_at = row.user.password_changed_at
    if changed_at is not None and row.created_at < changed_at:
        return None
    return row


def use_password_token(session: DbSession, row: PasswordToken, password: str) -> User:
    """Set the new password, spend the link, and sign the account out everywhere."""
    user = row.user
    set_password(user, password)
    row.used_at = utcnow()
    end_other_sessions(session, user)
    audit.record(session, "password_reset", actor=user)
    return user
