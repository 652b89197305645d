"""Second factors: an authenticator app (TOTP, RFC 6238) and single-use recovery codes.

Checking a code is throttled per account and per address like a password (SECURITY A.3), with
its own counters, and every refusal is audited. Nothing here reads the request: views pass in
the address. Passkeys, the other kind of second factor, live in :mod:`app.auth.passkeys`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app, url_for
from sqlalchemy import Select, delete, exists, func, select

from app.auth import services
from app.auth.models import AuthenticatorApp, Passkey, RecoveryCode
from app.circle.models import User
from app.core import audit
from app.core.db import DbSession, utcnow
from app.core.mail import queue_mail, render_mail

ISSUER = "Beeldbrug"
STEP_SECONDS = 30
DIGITS = 6
#: Codes of the step before and after now are accepted too: a phone's clock may drift.
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
#: Ten characters of an alphabet without look-alikes (no 0/o, 1/l/i): 50 bits each.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10

_TOTP_SHAPE = re.compile(r"^\d{6}$")


# --- the secret at rest -----------------------------------------------------------------------


def _fernet() -> Fernet:
    # A key of its own, derived from SECRET_KEY: a copy of the database alone reveals no secret.
    digest = hashlib.sha256(b"beeldbrug-totp-secret:" + _secret_key()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _secret_key() -> bytes:
    key = current_app.config["SECRET_KEY"]
    return key.encode() if isinstance(key, str) else bytes(key)


def _seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def _unseal(stored: str) -> str | None:
    try:
        return _fernet().decrypt(stored.encode()).decode()
    except InvalidToken:
        return None


# --- enrolment --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the secret as text and as a QR code (an SVG data URI)."""

    secret: str
    qr_data_uri: str

    @property
    def secret_in_groups(self) -> str:
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


def authenticator_of(session: DbSession, user: User) -> AuthenticatorApp | None:
    """The account's authenticator app, confirmed or still waiting for its first code."""
    return session.scalar(select(AuthenticatorApp).where(AuthenticatorApp.user_id == user.id))


def has_authenticator(session: DbSession, user: User) -> bool:
    app = authenticator_of(session, user)
    return app is not None and app.is_confirmed


def has_second_factor(session: DbSession, user: User) -> bool:
    """Whether signing in to this account asks for a second factor (an authenticator app or
    a passkey)."""
    if has_authenticator(session, user):
        return True
    return bool(session.scalar(select(exists().where(Passkey.user_id == user.id))))


def factor_count(session: DbSession, user: User) -> int:
    """How many second factors the account has: its authenticator app and each passkey."""
    keys = session.scalar(select(func.count(Passkey.id)).where(Passkey.user_id == user.id)) or 0
    return keys + (1 if has_authenticator(session, user) else 0)


def users_with_second_factor(session: DbSession, user_ids: Select[int]) -> set[int]:
    """Which of ``user_ids`` (a select of account ids) have a second factor, in one query."""
    apps = select(AuthenticatorApp.user_id).where(
        AuthenticatorApp.user_id.in_(user_ids), AuthenticatorApp.confirmed_at.is_not(None)
    )
    keys = select(Passkey.user_id).where(Passkey.user_id.in_(user_ids))
    return set(session.scalars(apps.union(keys)))


def start_enrolment(session: DbSession, user: User) -> AuthenticatorApp:
    """A fresh secret for ``user``, not in effect until confirmed with a first code.

    A confirmed app stays as it is: it is removed first (raises nothing; the caller checks).
    """
    row = authenticator_of(session, user)
    if row is not None and row.is_confirmed:
        return row
    if row is None:
        row = AuthenticatorApp(user_id=user.id, secret="", last_step=0)
        session.add(row)
    row.secret = _seal(pyotp.random_base32(32))
    row.created_at = utcnow()
    session.flush()
    return row


def enrolment(row: AuthenticatorApp, user: User) -> Enrolment | None:
    """The secret and QR code of a pending enrolment (None if the secret cannot be read)."""
    secret = _unseal(row.secret)
    if secret is None:
        return None
    uri = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=user.email, issuer_name=ISSUER
    )
    qr = segno.make(uri, error="m")
    return Enrolment(secret=secret, qr_data_uri=qr.svg_data_uri(scale=5, border=2))


def confirm_enrolment(session: DbSession, user: User, code: str, *, address: str) -> CodeCheck:
    """Put the pending authenticator app into effect when ``code`` is right; on success the
    check's ``recovery_codes`` holds ten fresh recovery codes, to be shown once. Throttled and
    audited like any code check."""
    row = authenticator_of(session, user)
    if row is None or row.is_confirmed:
        return CodeCheck(CodeResult.WRONG)
    blocked = _blocked(session, user, address)
    if blocked is not None:
        return blocked
    step = _matching_step(row, code)
    if step is None:
        return _refused(session, user, address, "authenticator_confirm_failed")
    row.confirmed_at = utcnow()
    row.last_step = step
    codes = new_recovery_codes(session, user)
    audit.record(session, "authenticator_added", actor=user, obj=user)
    return CodeCheck(CodeResult.OK, recovery_codes=codes)


def remove_authenticator(session: DbSession, user: User, *, actor: User) -> bool:
    """Remove the account's authenticator app (and, when no passkey is left, its recovery
    codes). Returns whether there was one. The caller has asked for the factor first."""
    row = authenticator_of(session, user)
    if row is None:
        return False
    confirmed = row.is_confirmed
    session.delete(row)
    session.flush()
    if not has_second_factor(session, user):
        drop_recovery_codes(session, user)  # they would stand in for a factor no longer there
    if confirmed:
        audit.record(session, "authenticator_removed", actor=actor, obj=user)
    return confirmed


# --- recovery codes ---------------------------------------------------------------------------


def _recovery_digest(user_id: int, code: str) -> str:
    message = f"{user_id}:{code}".encode()
    key = hashlib.sha256(b"beeldbrug-recovery-code:" + _secret_key()).digest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def normalise_recovery_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code).lower()


def new_recovery_codes(session: DbSession, user: User) -> list[str]:
    """Replace the account's recovery codes by ten new ones; returns them (shown once)."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    now = utcnow()
    session.add_all(
        RecoveryCode(user_id=user.id, code_hash=_recovery_digest(user.id, c), created_at=now)
        for c in codes
    )
    session.flush()
    audit.record(session, "recovery_codes_created", actor=user, obj=user)
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def recovery_codes_left(session: DbSession, user: User) -> int:
    return (
        session.scalar(
            select(func.count(RecoveryCode.id)).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )


def drop_recovery_codes(session: DbSession, user: User) -> None:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


# --- checking a code --------------------------------------------------------------------------


class CodeResult(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    THROTTLED = "throttled"


class CodeKind(StrEnum):
    AUTHENTICATOR = "authenticator"
    RECOVERY = "recovery"


@dataclass(frozen=True)
class CodeCheck:
    result: CodeResult
    kind: CodeKind | None = None
    retry_minutes: int = 0
    recovery_codes: list[str] | None = None

    @property
    def ok(self) -> bool:
        return self.result is CodeResult.OK


def _current_step() -> int:
    return int(utcnow().timestamp()) // STEP_SECONDS


def _matching_step(row: AuthenticatorApp, code: str) -> int | None:
    """The newest time step within the drift whose code is ``code`` and that was not used yet."""
    code = code.strip().replace(" ", "")
    secret = _unseal(row.secret)
    if secret is None or not _TOTP_SHAPE.match(code):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    now = _current_step()
    found = None
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        # Compare every candidate: the time taken does not tell which one matched.
        if hmac.compare_digest(totp.generate_otp(step), code) and step > row.last_step:
            found = step
    return found


def account_key(user: User) -> str:
    """The account's key in the throttling counters (a digest, never the address itself)."""
    return services.token_digest(services.normalise_email(user.email))


def record_throttled(session: DbSession, user: User) -> None:
    audit.record(session, "second_factor_throttled", actor=user)


def record_failure(session: DbSession, user: User, address: str, action: str) -> None:
    """Count a wrong second factor (a code, a passkey) against the account and the address,
    in the counters codes and passkeys share, and audit it as ``action``."""
    services.count_failure("second-factor", account_key(user), address)
    audit.record(session, action, actor=user)


def _blocked(session: DbSession, user: User, address: str) -> CodeCheck | None:
    throttle = services.throttle("second-factor", account_key(user), address)
    if not throttle.blocked:
        return None
    record_throttled(session, user)
    return CodeCheck(CodeResult.THROTTLED, retry_minutes=throttle.retry_minutes)


def _refused(session: DbSession, user: User, address: str, action: str) -> CodeCheck:
    record_failure(session, user, address, action)
    return CodeCheck(CodeResult.WRONG)


def check_code(session: DbSession, user: User, code: str, *, address: str) -> CodeCheck:
    """Check a code from the authenticator app (six digits) or a recovery code.

    An authenticator code is accepted once, within one step of drift either way; a recovery
    code once, ever. Throttled per account and per address; each wrong or paused attempt is
    audited. Raises nothing of its own.
    """
    blocked = _blocked(session, user, address)
    if blocked is not None:
        return blocked
    code = code.strip()
    if _TOTP_SHAPE.match(code.replace(" ", "")):
        row = authenticator_of(session, user)
        step = _matching_step(row, code) if row is not None and row.is_confirmed else None
        if step is not None and row is not None:
            row.last_step = step
            return CodeCheck(CodeResult.OK, CodeKind.AUTHENTICATOR)
        return _refused(session, user, address, "second_factor_failed")
    normal = normalise_recovery_code(code)
    if len(normal) == RECOVERY_LENGTH:
        digest = _recovery_digest(user.id, normal)
        row_code = session.scalar(
            select(RecoveryCode).where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == digest,
                RecoveryCode.used_at.is_(None),
            )
        )
        if row_code is not None:
            row_code.used_at = utcnow()
            audit.record(
                session,
                "recovery_code_used",
                actor=user,
                data={"left": recovery_codes_left(session, user)},
            )
            return CodeCheck(CodeResult.OK, CodeKind.RECOVERY)
    return _refused(session, user, address, "second_factor_failed")


# --- the school's rule, and the admin's reset -------------------------------------------------


def must_use_second_factor(user: User) -> bool:
    """Staff of a school that requires it must sign in with a second factor; parents never
    have to (they are offered it on their account page)."""
    school = user.school
    return bool(user.is_staff and school is not None and school.staff_second_factor_required)


def reset_second_factor(session: DbSession, user: User, *, actor: User) -> None:
    """Remove every second factor of ``user`` (authenticator app, passkeys, recovery codes) and sign
    them out everywhere; they are mailed, and audited. At the next sign-in a school that
    requires a factor takes them to enrolment again. Raises nothing of its own."""
    row = authenticator_of(session, user)
    if row is not None:
        session.delete(row)
    drop_recovery_codes(session, user)
    session.execute(delete(Passkey).where(Passkey.user_id == user.id))
    session.flush()
    services.end_other_sessions(session, user)
    audit.record(session, "second_factor_reset", actor=actor, obj=user)
    queue_mail(
        session,
        render_mail(
            "second_factor_reset",
            to=user.email,
            language=user.preferred_language,
            user=user,
            admin=actor,
            link=current_app.config["BASE_URL"].rstrip("/") + url_for("auth.sign_in"),
        ),
    )
