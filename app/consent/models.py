"""Consent: the school's versioned texts, and the signed records of each guardian's answers.

A published template version and a signed record never change: both refuse updates at the
ORM level (a guard below), and every change of mind, a withdrawal included, is a new record.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.attributes import get_history

from app.auth.models import SignInMethod, User
from app.core.db import Base, UTCDateTime, enum_column, utcnow
from app.people.models import Child, School


class Purpose(enum.StrEnum):
    """What a guardian answers yes or no to, each on its own."""

    SCHOOL_RECORDING = "school_recording"  # filming at school for video guidance
    HOME_RECORDING = "home_recording"  # using recordings made at home
    TEAM_VIEWING = "team_viewing"  # viewing by the school members of the circle
    PEER_REVIEW = "peer_review"  # showing fragments in peer review outside the circle
    RETENTION = "retention"  # keeping footage for the grace term after the trajectory


PURPOSES: tuple[Purpose, ...] = tuple(Purpose)


class Answer(enum.StrEnum):
    YES = "yes"
    NO = "no"


class RecordKind(enum.StrEnum):
    CONSENT = "consent"  # answers given with the full text in view, name and signature
    WITHDRAWAL = "withdrawal"  # one or more earlier yeses turned into no


class SignatureMethod(enum.StrEnum):
    DRAWN = "drawn"  # drawn with finger, pen or mouse
    TYPED = "typed"  # the full name typed as signature (keyboard alternative)
    CONFIRMED = "confirmed"  # a withdrawal confirmed while signed in


class SignerRole(enum.StrEnum):
    GUARDIAN = "guardian"  # a parent or carer, for a child under the consent age
    PUPIL = "pupil"  # the pupil, from the consent age on


class ConsentTemplate(Base):
    """One version of a school's consent text, in every language the portal speaks.

    ``texts`` maps a language to ``{"title", "intro", "purposes": {purpose: {"label",
    "explanation"}}, "closing"}``. A draft is edited freely; publishing fixes it for good.
    """

    __tablename__ = "consent_templates"
    __table_args__ = (UniqueConstraint("school_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    texts: Mapped[dict[str, Any]] = mapped_column(JSON)
    retention_months: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    school: Mapped[School] = relationship()

    def __repr__(self) -> str:
        state = "published" if self.published_at else "draft"
        return f"<ConsentTemplate {self.id} school={self.school_id} v{self.version} {state}>"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class ConsentRecord(Base):
    """One signed statement by one signer about one child: never edited after it is stored."""

    __tablename__ = "consent_records"
    __table_args__ = (Index("ix_consent_records_child_signer", "child_id", "signer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    signer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    signer_role: Mapped[SignerRole] = mapped_column(enum_column(SignerRole))
    kind: Mapped[RecordKind] = mapped_column(enum_column(RecordKind))
    template_id: Mapped[int] = mapped_column(ForeignKey("consent_templates.id"))
    template_version: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(8))
    text_shown: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    answers: Mapped[dict[str, str]] = mapped_column(JSON)
    # For a withdrawal: the purposes this record turned from yes into no.
    withdrawn: Mapped[list[str]] = mapped_column(JSON, default=list)
    typed_name: Mapped[str] = mapped_column(String(120))
    signature_method: Mapped[SignatureMethod] = mapped_column(enum_column(SignatureMethod))
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ip_address: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(300))
    sign_in_method: Mapped[SignInMethod] = mapped_column(enum_column(SignInMethod))
    # One submission of the signing form makes at most one record (double submits).
    form_nonce: Mapped[str] = mapped_column(String(64), unique=True)

    child: Mapped[Child] = relationship()
    signer: Mapped[User | None] = relationship()
    template: Mapped[ConsentTemplate] = relationship()

    def __repr__(self) -> str:
        return (
            f"<ConsentRecord {self.id} child={self.child_id} signer={self.signer_id} {self.kind}>"
        )

    def answer(self, purpose: Purpose) -> Answer | None:
        value = (self.answers or {}).get(purpose.value)
        return Answer(value) if value else None


class ImmutableRecordError(RuntimeError):
    """Raised when code tries to change a signed record or a published template."""


@event.listens_for(ConsentRecord, "before_update")
def _refuse_record_update(mapper: Any, connection: Any, target: ConsentRecord) -> None:
    raise ImmutableRecordError(f"consent record {target.id} is signed and cannot be changed")


@event.listens_for(ConsentTemplate, "before_update")
def _refuse_published_update(mapper: Any, connection: Any, target: ConsentTemplate) -> None:
    # Publishing itself (no date before, a date now) is the one change a template allows
    # once; after that every change is refused.
    history = get_history(target, "published_at")
    before = (history.deleted or history.unchanged or [None])[0]
    if before is not None:
        raise ImmutableRecordError(
            f"consent template {target.id} is published and cannot be changed"
        )
