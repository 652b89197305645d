"""What a finalised meeting leaves: its :class:`MeetingSummary` (the first one when it is
finalised, a new one for every addendum, each naming the one it replaces; the sealed PDF of
each is a ``documents`` Document about it), and the parents' :class:`SummaryAcknowledgement`
of a summary, a signed record (``app.core.signing``). Neither ever changes once stored.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.circle.models import User
from app.core.db import Base, UTCDateTime, utcnow
from app.core.signing import Immutable, SignedRecordMixin
from app.meetings.models import Meeting


class MeetingSummary(Immutable, Base):
    """One issue of a finalised meeting's summary: number 1 at finalising, one more for each
    addendum. What the group saw and what the child needs, and who attended, as they stood
    when the meeting was finalised; an addendum adds its correction and names the summary it
    replaces."""

    __tablename__ = "meeting_summaries"
    __table_args__ = (UniqueConstraint("meeting_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    seen: Mapped[str] = mapped_column(Text)
    need: Mapped[str] = mapped_column(Text)
    # Who attended, as [{"id": 3, "name": "…"}], kept as named when the meeting was finalised.
    attendees_json: Mapped[str] = mapped_column(Text, default="[]")
    addendum: Mapped[str] = mapped_column(Text, default="")
    replaces_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_summaries.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[Meeting] = relationship()
    created_by: Mapped[User | None] = relationship()
    replaces: Mapped[MeetingSummary | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<MeetingSummary {self.id} meeting={self.meeting_id} no={self.number}>"

    @property
    def attendees(self) -> list[dict[str, Any]]:
        value = json.loads(self.attendees_json or "[]")
        return value if isinstance(value, list) else []

    @property
    def is_addendum(self) -> bool:
        return self.replaces_id is not None


class SummaryAcknowledgement(SignedRecordMixin, Immutable, Base):
    """A parent's (or the pupil's) signed acknowledgement of one summary, with a comment if
    they added one. ``summary_sha256`` is the SHA-256 of the summary's PDF they were shown."""

    __tablename__ = "summary_acknowledgements"

    id: Mapped[int] = mapped_column(primary_key=True)
    summary_id: Mapped[int] = mapped_column(
        ForeignKey("meeting_summaries.id", ondelete="CASCADE"), index=True
    )
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    summary_sha256: Mapped[str] = mapped_column(String(64))
    agrees: Mapped[bool] = mapped_column(Boolean, default=True)
    comment: Mapped[str] = mapped_column(Text, default="")

    signer: Mapped[User | None] = relationship()
    summary: Mapped[MeetingSummary] = relationship()

    def __repr__(self) -> str:
        return f"<SummaryAcknowledgement {self.id} summary={self.summary_id} by={self.signer_id}>"
