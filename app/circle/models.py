"""Who is in which circle: schools, accounts, children, the circle around each child (a
membership with one role), and invitations into it."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.core.db import Base, UTCDateTime, enum_column, utcnow
from app.core.search import fold


class Role(enum.StrEnum):
    """A person's role in one child's circle.

    What a role may do, and which roles are the school side of a circle, is decided in one
    place: ``app.circle.policy`` (``POLICY``, ``SCHOOL_SIDE``, ``STAFF_ACCOUNT_ROLES``).
    """

    COACH = "coach"
    TEACHER = "teacher"
    SPECIALIST = "specialist"
    PARENT = "parent"
    PUPIL = "pupil"  # the child themself, from the consent age on


class School(Base):
    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    city: Mapped[str | None] = mapped_column(String(120))
    # Staff accounts must sign in with a second factor (set by the school admin).
    staff_second_factor_required: Mapped[bool] = mapped_column(Boolean, default=False)
    # People of this school (staff, and the circles of its children) may sign in with a
    # passkey alone, no password.
    passkey_sign_in_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Every seal of this school's documents must carry a trusted time: with the installation's
    # time-stamping authority out of reach, a document is refused rather than sealed without.
    seals_need_timestamp: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<School {self.id}>"


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


def _folded_name(context: Any) -> str:
    # The default of ``Child.name_folded`` on an insert that gives the name alone.
    return fold(context.get_current_parameters()["name"]) or ""


class Child(Base):
    """A child with an open (or ended) video interaction guidance trajectory."""

    __tablename__ = "children"
    # An erased child's id stays taken (its tombstone and audit events keep it): SQLite would
    # otherwise hand the highest id out again, and a new child would inherit the old one's log.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # The name in lower case without accents (``search.fold``), kept beside it: a search by
    # name compares stored text, with no function called per child. Set with the name (and
    # by default on a plain insert that leaves it out).
    name_folded: Mapped[str] = mapped_column(
        Text, default=_folded_name, server_default="", deferred=True
    )
    date_of_birth: Mapped[date] = mapped_column(Date)
    group_name: Mapped[str] = mapped_column(String(60))
    guiding_question: Mapped[str] = mapped_column(Text)
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # When the coach was told that the pupil reached the consent age (told once).
    consent_age_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    school: Mapped[School] = relationship()

    @validates("name")
    def _fold_name(self, _key: str, name: str) -> str:
        self.name_folded = fold(name) or ""
        return name

    def __repr__(self) -> str:
        return f"<Child {self.id} school={self.school_id}>"


class ChildTombstone(Base):
    """What remains of an erased child: that a child of this school existed under this id, and
    when and by whom it was erased. No name, date of birth or anything else about the child.
    """

    __tablename__ = "child_tombstones"

    # The id the child had (the audit log names it); never handed out again.
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    erased_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    def __repr__(self) -> str:
        return f"<ChildTombstone {self.id} school={self.school_id}>"


class Membership(Base):
    """A person's place in a child's circle, with one role, for a period."""

    __tablename__ = "memberships"
    __table_args__ = (Index("ix_memberships_child_user", "child_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role))
    active_from: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    active_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    child: Mapped[Child] = relationship()

    def __repr__(self) -> str:
        return f"<Membership {self.id} child={self.child_id} user={self.user_id} {self.role}>"


class Invitation(Base):
    """An e-mailed, single-use invitation into one child's circle with one role."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    language: Mapped[str] = mapped_column(String(8), default="nl")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    access_until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    child: Mapped[Child] = relationship()
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    def __repr__(self) -> str:
        return f"<Invitation {self.id} child={self.child_id} {self.role}>"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None
