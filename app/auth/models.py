"""Accounts' server-side sessions, password-reset links and second factors (the account itself,
``User``, belongs to the circle: ``app.circle.models``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.circle.models import User
from app.core.db import Base, UTCDateTime, enum_column, utcnow
from app.core.signin import SignInMethod


class UserSession(Base):
    """One signed-in browser. Deleting the row signs that browser out on its next request."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    method: Mapped[SignInMethod] = mapped_column(enum_column(SignInMethod))
    idle_minutes: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<UserSession {self.id} user={self.user_id} via {self.method}>"


class PasswordToken(Base):
    """A single-use link to set a password: a reset, or a new staff account's first one."""

    __tablename__ = "password_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<PasswordToken {self.id} user={self.user_id} used={self.used_at is not None}>"


class AuthenticatorApp(Base):
    """An authenticator app (TOTP, RFC 6238) of one account. Takes effect once confirmed with
    a first code; ``last_step`` is the newest time step accepted, so a code works once."""

    __tablename__ = "authenticator_apps"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, index=True
    )
    # The shared secret, encrypted under a key derived from SECRET_KEY (app.auth.factors).
    secret: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_step: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<AuthenticatorApp {self.id} user={self.user_id} confirmed={self.is_confirmed}>"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(Base):
    """One single-use recovery code, stored as a keyed hash (HMAC-SHA256 of the account and
    the code under the app's secret key): the code itself is shown once and kept nowhere."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<RecoveryCode {self.id} user={self.user_id} used={self.used_at is not None}>"


class Passkey(Base):
    """A passkey (a WebAuthn public-key credential) of one account, with the name its owner
    gave it. ``sign_count`` is the authenticator's counter: one that goes back betrays a
    cloned key."""

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The credential id as base64url (at most 1023 bytes by the standard).
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    name: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Passkey {self.id} user={self.user_id}>"
