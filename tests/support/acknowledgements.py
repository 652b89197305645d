"""A signed record of no feature, for the tests of the shared signing pieces: what a
meeting-summary acknowledgement could look like, on a table of its own in a registry of its
own (create it inside a test's transaction: ``Acknowledgement.__table__.create(connection)``),
and the service a feature would write for it.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw
from sqlalchemy import Column, Integer, MetaData, Table, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, foreign, mapped_column, relationship

from app.circle.models import User
from app.core import audit
from app.core.db import db
from app.core.signin import SignInMethod
from app.core.signing import (
    Evidence,
    Immutable,
    OpenedForm,
    Signature,
    SignedRecordMixin,
    signed_fields,
    store_once,
)


class _TestBase(DeclarativeBase):
    metadata = MetaData()


# The real users table, by name only: the test table's foreign key points at it.
Table("users", _TestBase.metadata, Column("id", Integer, primary_key=True))


class Acknowledgement(SignedRecordMixin, Immutable, _TestBase):
    """What a meeting-summary acknowledgement could look like."""

    __tablename__ = "test_acknowledgements"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text)
    # The model names its signer's account, as every signed record does (another registry's
    # class: an explicit join).
    signer: Mapped[User | None] = relationship(
        User, primaryjoin=lambda: foreign(Acknowledgement.signer_id) == User.id
    )

    def __repr__(self) -> str:
        return f"<Acknowledgement {self.id}>"


KIND = "test-acknowledgement"
EVIDENCE = Evidence("192.0.2.44", "test browser", SignInMethod.INVITATION)


def drawing(draw: bool = True) -> bytes:
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    if draw:
        ImageDraw.Draw(image).line([(10, 80), (150, 20), (290, 70)], fill=(0, 0, 0, 255), width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


SUMMARY = "Summary of the meeting of 12 March: agreements 1 to 3."


def store_acknowledgement(
    user: User,
    child_id: int,
    opened: OpenedForm,
    *,
    typed_name: str,
    signature: Signature,
    summary: str = SUMMARY,
    evidence: Evidence = EVIDENCE,
) -> Acknowledgement:
    """The service a feature would write: build, store once, audit. Raises RefusedError for a
    missing name or drawing, AlreadyStoredError for a form stored before."""
    record = Acknowledgement(
        child_id=child_id,
        summary=summary,
        **signed_fields(
            user,
            shown=summary,
            typed_name=typed_name,
            signature=signature,
            opened=opened,
            evidence=evidence,
        ),
    )
    store_once(db.session, record, message="already acknowledged")
    audit.record(db.session, "ack_signed", actor=user, child=child_id, obj=record)
    return record
