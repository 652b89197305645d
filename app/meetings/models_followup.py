"""What a meeting agrees and how it is followed up: an :class:`Agreement` (who does what, by
when) made in one meeting, the :class:`AgreementReview` of it in a later meeting (done, partly
done, not done, dropped, with a note), and the one :class:`AgreementReminder` its owner gets
when it falls due.

An agreement's ``status`` is its latest review's (kept on the row, so that lists of open
agreements are one query); its history is the reviews, oldest first. Once the meeting an
agreement was made in is finalised, what was agreed never changes: only a review in a later
meeting moves its status on (:meth:`Agreement.refuses_update`).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.attributes import get_history

from app.circle.models import User
from app.core.db import Base, UTCDateTime, enum_column, utcnow
from app.core.immutable import Immutable
from app.meetings.models import Meeting, MeetingState


class Party(enum.StrEnum):
    """Who carries an agreement out."""

    SCHOOL = "school"
    HOME = "home"
    COACH = "coach"


class AgreementStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    PARTLY = "partly"
    NOT_DONE = "not_done"
    DROPPED = "dropped"


#: Statuses that keep an agreement on the next meeting's list: not yet done, nor dropped.
STILL_OPEN = frozenset({AgreementStatus.OPEN, AgreementStatus.PARTLY, AgreementStatus.NOT_DONE})
#: What a review may set.
REVIEW_STATUSES = (
    AgreementStatus.DONE,
    AgreementStatus.PARTLY,
    AgreementStatus.NOT_DONE,
    AgreementStatus.DROPPED,
)


def is_overdue(status: AgreementStatus, due_on: date, today: date) -> bool:
    """True when an agreement with ``status`` and ``due_on`` is still open and its due date
    has passed on ``today`` (an agreement's, or a row's that holds both)."""
    return status in STILL_OPEN and due_on < today


#: The columns a review moves on; every other column is what was agreed.
_FOLLOWED_UP = frozenset({"status", "version"})


class Agreement(Immutable, Base):
    """Who does what, by when, agreed in a meeting about the child."""

    __tablename__ = "agreements"
    __table_args__ = (
        Index("ix_agreements_child_status", "child_id", "status"),
        Index("ix_agreements_owner_status", "owner_id", "status"),
        # The child's newest first (the timeline reads a page's worth, counts them all).
        Index("ix_agreements_child_created", "child_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    party: Mapped[Party] = mapped_column(enum_column(Party))
    # The person who sees to it; the agreement stays (with its party) if the account goes.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[AgreementStatus] = mapped_column(
        enum_column(AgreementStatus), default=AgreementStatus.OPEN
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    meeting: Mapped[Meeting] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])

    def __repr__(self) -> str:
        return f"<Agreement {self.id} meeting={self.meeting_id} {self.status}>"

    @property
    def is_open(self) -> bool:
        return self.status in STILL_OPEN

    def is_overdue(self, today: date) -> bool:
        """True when it is still open and its due date has passed on ``today``."""
        return is_overdue(self.status, self.due_on, today)

    def refuses_update(self) -> bool:
        """What was agreed is fixed once its meeting is finalised; a review may still move
        the status on (its own meeting being a later, open one: the service's check)."""
        if self.meeting.state is not MeetingState.FINALISED:
            return False
        changed = {
            name
            for name in ("text", "party", "owner_id", "due_on", "meeting_id", "child_id")
            if get_history(self, name).has_changes()
        }
        return bool(changed - _FOLLOWED_UP)


class AgreementReview(Immutable, Base):
    """How an agreement stood when a later meeting reviewed it. One per agreement and
    meeting; it may be corrected until that meeting is finalised, then it is fixed."""

    __tablename__ = "agreement_reviews"
    __table_args__ = (
        UniqueConstraint("agreement_id", "meeting_id"),
        # The child's newest first (the timeline reads a page's worth, counts them all).
        Index("ix_agreement_reviews_child_reviewed", "child_id", "reviewed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    status: Mapped[AgreementStatus] = mapped_column(enum_column(AgreementStatus))
    note: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[Meeting] = relationship()
    reviewed_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<AgreementReview agreement={self.agreement_id} meeting={self.meeting_id}>"

    def refuses_update(self) -> bool:
        return self.meeting.state is MeetingState.FINALISED


class AgreementReminder(Base):
    """The one mail an agreement's owner gets when it falls due (claimed by inserting this
    row: a second run, or two at once, finds it and sends nothing)."""

    __tablename__ = "agreement_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), unique=True
    )
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<AgreementReminder agreement={self.agreement_id}>"


__all__ = [
    "STILL_OPEN",
    "Agreement",
    "AgreementReminder",
    "AgreementReview",
    "AgreementStatus",
    "Party",
]
