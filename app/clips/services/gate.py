"""What consent allows for a child's footage, asked of consent's one service: ``allows()``.

- A **school recording** may be uploaded, kept and watched while filming at school is granted;
  a **home recording** while using recordings made at home is granted (DESIGN.md rule 3).
- The school team (teachers and specialists) watches a clip someone else uploaded only while
  viewing by the school team is granted; the coach, who does the guidance, and the uploader
  need only the recording's own purpose.
- Showing fragments in peer review outside the circle needs its own purpose.

Asked on every request, every range request of a playing video included, so a withdrawal
stops what it covered at once.
"""

from __future__ import annotations

from app.circle.models import Child, Role
from app.circle.policy import Seat
from app.clips.models import Source
from app.consent import services as consent
from app.core.db import db

#: The consent purpose that covers recording, keeping and watching footage from each source.
PURPOSE_OF: dict[Source, consent.Purpose] = {
    Source.SCHOOL: consent.Purpose.SCHOOL_RECORDING,
    Source.HOME: consent.Purpose.HOME_RECORDING,
}

#: Roles that watch others' uploads only while viewing by the school team is granted.
NEEDS_TEAM_VIEWING = frozenset({Role.TEACHER, Role.SPECIALIST})


def may_record(child: Child, source: Source) -> bool:
    """Is a recording from ``source`` of ``child`` covered by consent now?"""
    return consent.allows(child, PURPOSE_OF[Source(source)])


def playable_sources(seat: Seat) -> frozenset[Source]:
    """The sources whose clips of its child consent lets ``seat`` watch now (others' uploads).

    A member watches their own uploads while its source's purpose is granted (see
    :func:`may_watch`); this set is for clips uploaded by someone else.
    """
    # One status for every purpose: asked on every range request of a playing video.
    status = consent.status(db.session, seat.child)
    granted = frozenset(source for source in Source if status.allows(PURPOSE_OF[source]))
    if seat.role in NEEDS_TEAM_VIEWING and not status.allows(consent.Purpose.TEAM_VIEWING):
        return frozenset()
    return granted


def may_watch(seat: Seat, *, source: Source, uploader_id: int | None) -> bool:
    """Does consent let ``seat`` watch a clip of its child from ``source`` now?

    Audience is a separate question (``app.circle.audience.may_see``); both must say yes.
    """
    if seat.owns(uploader_id):
        return may_record(seat.child, source)
    return Source(source) in playable_sources(seat)


def missing_purpose(child: Child, source: Source) -> consent.Purpose | None:
    """The purpose that is not granted for a recording from ``source``, or None."""
    purpose = PURPOSE_OF[Source(source)]
    return None if consent.allows(child, purpose) else purpose
