"""Accounts, their server-side sessions and their password-reset links."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from app.people.models import School


class SignInMethod(enum.StrEnum):
    PASSWORD = "password"  # noqa: S105 - the name of a sign-in method
    INVITATION = "invitation"  # a new account made by accepting an e-mailed invitation
    RESET = "reset"


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so uniqueness is case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    preferred_language: Mapped[str] = mapped_column(String(8), default="nl")
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    is_school_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_deactivated: Mapped[bool] = mapped_column(Boolean, default=False)
    school_id: Mapped[int | None] = mapped_column(
        ForeignKey("schools.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    school: Mapped[School | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<User {self.id} staff={self.is_staff} admin={self.is_school_admin}>"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return not self.is_deactivated


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
