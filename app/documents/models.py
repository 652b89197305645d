"""The record of every PDF Beeldbrug issued: what it is, its hash, who issued it and when."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.circle.models import Child, School, User
from app.core.db import Base, UTCDateTime, enum_column, utcnow


class DocumentKind(enum.StrEnum):
    """What an issued document is."""

    CONSENT = "consent"
    MEETING_SUMMARY = "meeting_summary"
    SUPPORT_PLAN = "support_plan"


class Document(Base):
    """One issued, sealed PDF. Never changed after it is issued (DESIGN.md §4 rule 5).

    ``subject_type``/``subject_id`` name the record the document is about (for example a
    consent record); ``sha256`` is the hash of the exact bytes handed out, so a copy can be
    looked up later. ``title`` is a short description that names no person.
    """

    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind))
    child_id: Mapped[int | None] = mapped_column(
        ForeignKey("children.id", ondelete="SET NULL"), index=True
    )
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(160))
    sha256: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    size: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Set when its child was erased while the document was still within its retention term:
    # the document is kept, detached from the child, until this day, then destroyed.
    keep_until: Mapped[date | None] = mapped_column(Date)

    school: Mapped[School] = relationship()
    child: Mapped[Child | None] = relationship()
    issued_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return (
            f"<Document {self.id} {self.kind} {self.subject_type}:{self.subject_id} "
            f"child={self.child_id}>"
        )
