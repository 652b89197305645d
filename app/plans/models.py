"""A child's support plan, in versions: one draft the school edits, and versions sent to the
parents, each fixed for good with a snapshot of its parts and that snapshot's SHA-256.

A :class:`PlanVersion` holds the plan's parts that are one text (the expected exit
destination and its reasoning, any deviation from the regular programme, the evaluation, the
pupil's own view, the date of the consultation with the parents); a :class:`PlanItem` is one
line of a part that has many (hindering and supporting factors, strengths, needs, goals, the
approach at school and at home), with the meeting's need, the agreement or the clip's moment
it was adopted from. The parents' own view is theirs, written in the portal
(:class:`PlanParentView`), and is copied into each version when it is sent.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.circle.models import User
from app.clips.models import Moment
from app.core.db import Base, UTCDateTime, enum_column, utcnow
from app.core.signing import Immutable, SignedRecordMixin
from app.core.versions import VersionedMixin
from app.meetings.models import ItemNotes
from app.meetings.models_followup import Agreement


class Part(enum.StrEnum):
    """The parts of a plan that hold several items, in the order a Dutch OPP lists them."""

    HINDERING = "hindering"  # belemmerende factoren
    SUPPORTING = "supporting"  # bevorderende factoren
    STRENGTH = "strength"  # what the child is good at (may cite a moment of success)
    NEED = "need"  # "[name] needs …"
    GOAL = "goal"  # the action part: a goal with its target date
    AT_SCHOOL = "at_school"  # the action part: the approach at school, who does what
    AT_HOME = "at_home"  # the action part: the approach at home, who does what


#: The parts that make up the action part (handelingsdeel), on which the parents consent.
ACTION_PARTS = frozenset({Part.GOAL, Part.AT_SCHOOL, Part.AT_HOME})


class PlanVersion(VersionedMixin, Base):
    """One version of a child's plan: the draft while ``published_at`` is None, then a
    version sent to the parents that never changes again. Sending stores ``snapshot`` (the
    canonical JSON of every part) and its ``sha256``."""

    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("child_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    plan_date: Mapped[date] = mapped_column(Date)
    exit_profile: Mapped[str] = mapped_column(String(200), default="")
    exit_reasoning: Mapped[str] = mapped_column(Text, default="")
    deviation: Mapped[str] = mapped_column(Text, default="")
    evaluation: Mapped[str] = mapped_column(Text, default="")
    pupil_view: Mapped[str] = mapped_column(Text, default="")
    consulted_on: Mapped[date | None] = mapped_column(Date)
    snapshot: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    # Counts the saves of the row (``version`` is the plan's version number): a save made on
    # an older count is refused, never overwrites (app.core.concurrency).
    edit_count: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": edit_count}

    def __repr__(self) -> str:
        state = "sent" if self.published_at else "draft"
        return f"<PlanVersion {self.id} child={self.child_id} v{self.version} {state}>"


class PlanItem(Base):
    """One item of a part of a plan version, in the part's order. ``need_id``,
    ``agreement_id`` or ``moment_id`` names what it was adopted from (at most one); the item
    stays, without its link, when that source goes. Locked with a sent version
    (:mod:`app.plans.lock`)."""

    __tablename__ = "plan_items"
    __table_args__ = (Index("ix_plan_items_version_part", "plan_version_id", "part", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id", ondelete="CASCADE"))
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    part: Mapped[Part] = mapped_column(enum_column(Part))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    # Goals: the date the goal should be reached by; the approach: who does it.
    target_on: Mapped[date | None] = mapped_column(Date)
    who: Mapped[str] = mapped_column(String(120), default="")
    need_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_item_notes.id", ondelete="SET NULL")
    )
    agreement_id: Mapped[int | None] = mapped_column(
        ForeignKey("agreements.id", ondelete="SET NULL")
    )
    moment_id: Mapped[int | None] = mapped_column(ForeignKey("moments.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    plan_version: Mapped[PlanVersion] = relationship()
    need: Mapped[ItemNotes | None] = relationship()
    agreement: Mapped[Agreement | None] = relationship()
    moment: Mapped[Moment | None] = relationship()

    def __repr__(self) -> str:
        return f"<PlanItem {self.id} version={self.plan_version_id} {self.part}>"


class PlanParentView(Base):
    """A parent's view of the plan in their own words, one per parent and child, changed by
    them at any time; a version sent to the parents carries the views as they were then."""

    __tablename__ = "plan_parent_views"
    __table_args__ = (UniqueConstraint("child_id", "author_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<PlanParentView child={self.child_id} author={self.author_id}>"


class ReminderKind(enum.StrEnum):
    EVALUATION_DUE = "evaluation_due"  # a year after the plan's date
    ANSWER_WAITING = "answer_waiting"  # sent two weeks ago, no parent has answered


class PlanReminder(Base):
    """One reminder mail to the coach about one sent version, of one kind: claimed by
    inserting this row, so a second run (or two at once) sends nothing more."""

    __tablename__ = "plan_reminders"
    __table_args__ = (UniqueConstraint("plan_version_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id", ondelete="CASCADE"))
    kind: Mapped[ReminderKind] = mapped_column(enum_column(ReminderKind))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<PlanReminder version={self.plan_version_id} {self.kind}>"


class SignerRole(enum.StrEnum):
    GUARDIAN = "guardian"  # a parent or carer in the circle
    PUPIL = "pupil"  # the pupil, from the consent age on


class PlanAnswer(SignedRecordMixin, Immutable, Base):
    """One guardian's (or, from 16, the pupil's) signed answer on the action part of one sent
    version: agreement, or a decline with its reason. ``version_sha256`` is the SHA-256 of the
    version's snapshot they were shown. Never changes once stored."""

    __tablename__ = "plan_answers"
    __table_args__ = (UniqueConstraint("plan_version_id", "signer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_version_id: Mapped[int] = mapped_column(
        ForeignKey("plan_versions.id", ondelete="CASCADE"), index=True
    )
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    version_sha256: Mapped[str] = mapped_column(String(64))
    signer_role: Mapped[SignerRole] = mapped_column(enum_column(SignerRole))
    agrees: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text, default="")

    signer: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<PlanAnswer {self.id} version={self.plan_version_id} by={self.signer_id}>"
