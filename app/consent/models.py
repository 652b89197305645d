"""Consent: the school's versioned texts, and the signed records of each guardian's answers.

A published template version and a signed record never change: both refuse updates at the
ORM level (the shared :class:`app.core.immutable.Immutable` guard), and every change of mind, a
withdrawal included, is a new record.
"""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.circle.models import Child, School, User
from app.core.db import Base, enum_column
from app.core.signing import Immutable, ImmutableRecordError, SignatureMethod, SignedRecordMixin
from app.core.versions import VersionedMixin


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


def answer_in(answers: dict[str, str] | None, purpose: Purpose) -> Answer | None:
    """The answer for ``purpose`` in a record's ``answers``, None when it holds none: how a
    record and its plain values (``rules.Signed``) read it."""
    value = (answers or {}).get(purpose.value)
    return Answer(value) if value else None


class RecordKind(enum.StrEnum):
    CONSENT = "consent"  # answers given with the full text in view, name and signature
    WITHDRAWAL = "withdrawal"  # one or more earlier yeses turned into no


class SignerRole(enum.StrEnum):
    GUARDIAN = "guardian"  # a parent or carer, for a child under the consent age
    PUPIL = "pupil"  # the pupil, from the consent age on


class ConsentTemplate(VersionedMixin, Base):
    """One version of a school's consent text, in every language the portal speaks.

    ``texts`` maps a language to ``{"title", "intro", "purposes": {purpose: {"label",
    "explanation"}}, "closing"}``. A draft is edited freely; publishing fixes it for good
    (the version number, the dates and the guard are :class:`app.core.versions.VersionedMixin`'s;
    the series is the school).
    """

    __tablename__ = "consent_templates"
    __table_args__ = (UniqueConstraint("school_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    texts: Mapped[dict[str, Any]] = mapped_column(JSON)
    retention_months: Mapped[int] = mapped_column(Integer)

    school: Mapped[School] = relationship()

    def __repr__(self) -> str:
        state = "published" if self.published_at else "draft"
        return f"<ConsentTemplate {self.id} school={self.school_id} v{self.version} {state}>"


class ConsentRecord(SignedRecordMixin, Immutable, Base):
    """One signed statement by one signer about one child: never edited after it is stored.

    The signer, the text shown and its SHA-256, the signature and the evidence are the shared
    signing columns (:class:`app.core.signing.SignedRecordMixin`).
    """

    __tablename__ = "consent_records"
    __table_args__ = (Index("ix_consent_records_child_signer", "child_id", "signer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    signer_role: Mapped[SignerRole] = mapped_column(enum_column(SignerRole))
    kind: Mapped[RecordKind] = mapped_column(enum_column(RecordKind))
    template_id: Mapped[int] = mapped_column(ForeignKey("consent_templates.id"))
    template_version: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(8))
    answers: Mapped[dict[str, str]] = mapped_column(JSON)
    # For a withdrawal: the purposes this record turned from yes into no.
    withdrawn: Mapped[list[str]] = mapped_column(JSON, default=list)

    child: Mapped[Child] = relationship()
    signer: Mapped[User | None] = relationship()
    template: Mapped[ConsentTemplate] = relationship()

    def __repr__(self) -> str:
        return (
            f"<ConsentRecord {self.id} child={self.child_id} signer={self.signer_id} {self.kind}>"
        )

    def answer(self, purpose: Purpose) -> Answer | None:
        return answer_in(self.answers, purpose)


# Kept importable from here: older code and tests name them as consent's.
__all__ = [
    "PURPOSES",
    "Answer",
    "ConsentRecord",
    "ConsentTemplate",
    "ImmutableRecordError",
    "Purpose",
    "RecordKind",
    "SignatureMethod",
    "SignerRole",
]
