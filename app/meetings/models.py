"""A meeting about one child, who is invited to it, its agenda and what people bring to it.

A :class:`Meeting` goes planned → held → finalised, or is cancelled. Its time is stored in
UTC and entered and shown on the school's calendar (Europe/Amsterdam). Rows that people edit
at the same time carry a version (SQLAlchemy's ``version_id_col``): a save made on an older
version is refused instead of overwriting someone else's (``app.core.concurrency``).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.attributes import get_history

from app.circle.models import Child, User
from app.clips.models import Clip, Moment
from app.core.db import Base, UTCDateTime, enum_column, utcnow
from app.core.immutable import Immutable


class MeetingKind(enum.StrEnum):
    INTAKE = "intake"
    SHARED_REVIEW = "shared_review"
    EVALUATION = "evaluation"
    CLOSING = "closing"


class MeetingState(enum.StrEnum):
    PLANNED = "planned"
    HELD = "held"
    FINALISED = "finalised"
    CANCELLED = "cancelled"


class Meeting(Immutable, Base):
    """A meeting about a child: when, where, around which question, with whom. Once
    finalised it never changes (:meth:`refuses_update`; corrections are addenda)."""

    __tablename__ = "meetings"
    __table_args__ = (
        Index("ix_meetings_child_starts", "child_id", "starts_at"),
        Index("ix_meetings_state_starts", "state", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    kind: Mapped[MeetingKind] = mapped_column(enum_column(MeetingKind))
    state: Mapped[MeetingState] = mapped_column(
        enum_column(MeetingState), default=MeetingState.PLANNED
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(300))
    guiding_question: Mapped[str] = mapped_column(Text)
    # Who planned it: the ORGANIZER of the calendar invitation.
    organizer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The calendar invitation's UID (stable for the meeting's life) and SEQUENCE (raised on
    # every change that is sent again).
    ical_uid: Mapped[str] = mapped_column(String(120), unique=True)
    ical_sequence: Mapped[int] = mapped_column(Integer, default=0)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    child: Mapped[Child] = relationship()
    organizer: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Meeting {self.id} child={self.child_id} {self.kind} {self.state}>"

    @property
    def is_planned(self) -> bool:
        return self.state is MeetingState.PLANNED

    @property
    def is_finalised(self) -> bool:
        return self.state is MeetingState.FINALISED

    def refuses_update(self) -> bool:
        """Finalising is the last change a meeting takes; after it, every change is refused."""
        history = get_history(self, "state")
        before = (history.deleted or history.unchanged or [None])[0]
        return before is MeetingState.FINALISED or before == MeetingState.FINALISED.value


class MeetingInvitee(Base):
    """A person from the circle invited to a meeting."""

    __tablename__ = "meeting_invitees"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Marked in meeting mode: None until someone marks it, then present (True) or not.
    attended: Mapped[bool | None] = mapped_column(Boolean)

    user: Mapped[User] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<MeetingInvitee meeting={self.meeting_id} user={self.user_id}>"


class AgendaItem(Base):
    """A fragment (or a moment in a clip) to watch together, in the agenda's order; optionally
    paired with a second fragment from the other setting (home beside school). The
    preparation note is for the school side only."""

    __tablename__ = "agenda_items"
    __table_args__ = (Index("ix_agenda_items_meeting_position", "meeting_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"), index=True)
    moment_id: Mapped[int | None] = mapped_column(ForeignKey("moments.id", ondelete="SET NULL"))
    pair_clip_id: Mapped[int | None] = mapped_column(
        ForeignKey("clips.id", ondelete="SET NULL"), index=True
    )
    prep_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    clip: Mapped[Clip] = relationship(foreign_keys=[clip_id])
    pair_clip: Mapped[Clip | None] = relationship(foreign_keys=[pair_clip_id])
    moment: Mapped[Moment | None] = relationship()

    def __repr__(self) -> str:
        return f"<AgendaItem {self.id} meeting={self.meeting_id} at={self.position}>"


class ItemNotes(Base):
    """What the group wrote about one agenda item in meeting mode: what they see, what the
    child needs, and the moment of the item that need cites. Versioned like the item: an
    autosave made on an older version is refused, never overwrites."""

    __tablename__ = "agenda_item_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("agenda_items.id", ondelete="CASCADE"), unique=True
    )
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    seen: Mapped[str] = mapped_column(Text, default="")
    need: Mapped[str] = mapped_column(Text, default="")
    need_moment_id: Mapped[int | None] = mapped_column(
        ForeignKey("moments.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    need_moment: Mapped[Moment | None] = relationship()

    def __repr__(self) -> str:
        return f"<ItemNotes item={self.item_id} meeting={self.meeting_id}>"


class MeetingContribution(Base):
    """A question or observation an invitee brings to the meeting beforehand, shown with its
    author to everyone who sees the meeting."""

    __tablename__ = "meeting_contributions"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<MeetingContribution {self.id} meeting={self.meeting_id}>"
