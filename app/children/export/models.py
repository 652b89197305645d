"""The row of one export: who asked, about which child, how far it is, and where its file is
until it is downloaded or expires."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.circle.models import Child, User
from app.core.db import Base, UTCDateTime, enum_column, utcnow


class ExportState(enum.StrEnum):
    QUEUED = "queued"  # asked for; waiting for the worker
    BUILDING = "building"  # the worker is writing the zip
    READY = "ready"  # the zip waits in storage for its one download
    DOWNLOADED = "downloaded"  # taken once; the file is gone
    EXPIRED = "expired"  # not taken within its day; the file is gone
    FAILED = "failed"  # the worker could not build it; nothing is kept


class ChildExport(Base):
    """One person's export of one child's data. The file lives in storage (``storage_key``)
    only while READY: a download or the expiry removes it, and the row stays as the record."""

    __tablename__ = "child_exports"
    __table_args__ = (
        Index("ix_child_exports_child_requester", "child_id", "requester_id"),
        Index("ix_child_exports_state_expires", "state", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    state: Mapped[ExportState] = mapped_column(enum_column(ExportState), default=ExportState.QUEUED)
    progress: Mapped[int] = mapped_column(Integer, default=0)  # percent written
    language: Mapped[str] = mapped_column(String(8), default="nl")  # of README.txt and labels
    storage_key: Mapped[str | None] = mapped_column(String(200))
    size: Mapped[int | None] = mapped_column(BigInteger)
    failure: Mapped[str | None] = mapped_column(String(60))  # a code, never a traceback
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    downloaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    child: Mapped[Child] = relationship()
    requester: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ChildExport {self.id} child={self.child_id} {self.state} {self.progress}%>"

    @property
    def is_working(self) -> bool:
        """Still queued or being built: the page refreshes itself."""
        return self.state in (ExportState.QUEUED, ExportState.BUILDING)
