"""Clips: recordings of a child and the fragments cut from them, moments marked in them, the
uploads still arriving, and the tombstones of what was destroyed.

A :class:`Clip` is either a recording (uploaded, ``parent_id`` empty) or a fragment cut from one
(``parent_id`` and the in/out points in the recording). Both go through the same states:
uploaded → processing → ready | failed. Only the stripped web version is kept once it is ready;
the original is deleted then (data minimisation). Who sees a clip or a moment is decided by its
``audience`` and its uploader or author, through ``app.circle.policy`` (never here).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.circle.audience import Audience
from app.circle.models import Child, School, User
from app.core.db import Base, UTCDateTime, enum_column, utcnow


class Source(enum.StrEnum):
    """Where a recording was made: it decides which consent purpose covers it."""

    SCHOOL = "school"
    HOME = "home"


class ClipState(enum.StrEnum):
    UPLOADED = "uploaded"  # every byte arrived; waiting for the worker
    PROCESSING = "processing"  # the worker is making the poster and the web version
    READY = "ready"  # the web version can be watched
    FAILED = "failed"  # processing failed; a coach may retry


class Tag(enum.StrEnum):
    """The method's principles of attuned interaction and guidance, and two more."""

    ATTENTIVE = "attentive"  # being attentive
    ENCOURAGING_INITIATIVES = "encouraging"  # encouraging initiatives
    RECEIVING_INITIATIVES = "receiving"  # receiving initiatives
    TURN_TAKING = "turn_taking"  # attuned turn-taking
    GUIDING = "guiding"
    DEEPENING_DISCUSSION = "deepening"  # deepening discussion
    SUCCESS = "success"  # moment of success
    NEED = "need"  # what does the child need here?


class DestroyReason(enum.StrEnum):
    RETENTION = "retention"  # the retention term after the trajectory ended
    WITHDRAWAL = "withdrawal"  # the consent that covered it was withdrawn
    ERASURE = "erasure"  # the child's data was erased
    DELETED = "deleted"  # a coach deleted it


class Clip(Base):
    """A recording of a child, or a fragment cut from one."""

    __tablename__ = "clips"
    __table_args__ = (
        Index("ix_clips_child_state", "child_id", "state"),
        Index("ix_clips_destroy_after", "destroy_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    # A fragment's recording; a fragment goes when its recording goes.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("clips.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[Source] = mapped_column(enum_column(Source))
    uploader_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(160))
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_on: Mapped[date | None] = mapped_column(Date)
    audience: Mapped[Audience] = mapped_column(enum_column(Audience))
    # Classmates, siblings or staff recognisable in it: it reaches the circle only once a
    # coach confirms they are covered by consent or made unrecognisable.
    shows_others: Mapped[bool] = mapped_column(Boolean, default=False)
    others_cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    others_cleared_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # A fragment's in and out points, in seconds of its recording.
    start_s: Mapped[float | None] = mapped_column(Float)
    end_s: Mapped[float | None] = mapped_column(Float)

    state: Mapped[ClipState] = mapped_column(enum_column(ClipState), default=ClipState.UPLOADED)
    progress: Mapped[int] = mapped_column(Integer, default=0)  # percent of the conversion
    failure: Mapped[str | None] = mapped_column(String(200))  # a code, never a traceback
    attempts: Mapped[int] = mapped_column(Integer, default=0)

    original_key: Mapped[str | None] = mapped_column(String(200))
    original_name: Mapped[str] = mapped_column(String(255), default="")
    original_size: Mapped[int | None] = mapped_column(BigInteger)
    original_sha256: Mapped[str | None] = mapped_column(String(64))
    web_key: Mapped[str | None] = mapped_column(String(200))
    web_size: Mapped[int | None] = mapped_column(BigInteger)
    web_sha256: Mapped[str | None] = mapped_column(String(64))
    poster_key: Mapped[str | None] = mapped_column(String(200))
    duration_s: Mapped[float | None] = mapped_column(Float)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)

    destroy_after: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    child: Mapped[Child] = relationship()
    uploader: Mapped[User | None] = relationship(foreign_keys=[uploader_id])
    parent: Mapped[Clip | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        kind = f"fragment of {self.parent_id}" if self.parent_id else "recording"
        return f"<Clip {self.id} child={self.child_id} {kind} {self.state}>"

    @property
    def is_fragment(self) -> bool:
        return self.parent_id is not None

    @property
    def is_ready(self) -> bool:
        return self.state is ClipState.READY


class Upload(Base):
    """A resumable (tus) upload still arriving: who sends what, for which child.

    The bytes live in ``app.core.resumable``'s partial file named ``upload_id``; the row says
    whose it is, so that every request about it is checked. It becomes a :class:`Clip` when
    every declared byte has arrived (``clip_id``) and is swept when it expires unfinished.
    """

    __tablename__ = "clip_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[str] = mapped_column(String(40), unique=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    source: Mapped[Source] = mapped_column(enum_column(Source))
    length: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str] = mapped_column(String(255), default="")
    title: Mapped[str] = mapped_column(String(160))
    recorded_on: Mapped[date | None] = mapped_column(Date)
    audience: Mapped[Audience] = mapped_column(enum_column(Audience))
    shows_others: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    clip_id: Mapped[int | None] = mapped_column(ForeignKey("clips.id", ondelete="SET NULL"))

    def __repr__(self) -> str:
        return f"<Upload {self.id} child={self.child_id} clip={self.clip_id}>"


class MomentTag(Base):
    """A label of a school's own, beside the method's tags."""

    __tablename__ = "moment_tags"
    __table_args__ = (UniqueConstraint("school_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    school: Mapped[School] = relationship()

    def __repr__(self) -> str:
        return f"<MomentTag {self.id} school={self.school_id}>"


class Moment(Base):
    """A moment marked in a clip: a time (and optional end), a tag and a note."""

    __tablename__ = "moments"
    __table_args__ = (Index("ix_moments_clip_start", "clip_id", "start_s"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float | None] = mapped_column(Float)
    # One of the method's tags, or empty when the school's own tag is used.
    tag: Mapped[Tag | None] = mapped_column(enum_column(Tag))
    custom_tag_id: Mapped[int | None] = mapped_column(
        ForeignKey("moment_tags.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[Audience] = mapped_column(enum_column(Audience))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    clip: Mapped[Clip] = relationship()
    author: Mapped[User | None] = relationship()
    custom_tag: Mapped[MomentTag | None] = relationship()

    def __repr__(self) -> str:
        return f"<Moment {self.id} clip={self.clip_id} at={self.start_s}>"


class ClipTombstone(Base):
    """What remains of a destroyed clip: that it existed, when it went, and why.

    It holds no title, note or file: nothing of what the clip showed.
    """

    __tablename__ = "clip_tombstones"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    clip_id: Mapped[int] = mapped_column(Integer)  # the id the clip had; the row is gone
    source: Mapped[Source] = mapped_column(enum_column(Source))
    was_fragment: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_on: Mapped[date | None] = mapped_column(Date)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_s: Mapped[float | None] = mapped_column(Float)
    destroyed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[DestroyReason] = mapped_column(enum_column(DestroyReason))

    def __repr__(self) -> str:
        return f"<ClipTombstone {self.id} clip={self.clip_id} {self.reason}>"
