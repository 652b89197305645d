"""The child's clips as a person sees them listed: recordings with their fragments beneath.

One query each (``queries.visible_clips`` / ``queries.clip_clause``), so a list never grows
its number of queries with the number of clips, and never holds a clip the person may not see.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.circle import policy
from app.circle.audience import Audience, may_set_audience
from app.circle.models import Child, User
from app.circle.policy import Action
from app.clips.models import Clip, Source
from app.clips.services import gate, queries
from app.core.db import DbSession


@dataclass
class Entry:
    """A clip on the list, with the fragments of it the person sees."""

    clip: Clip
    fragments: list[Clip] = field(default_factory=list)


def clip_list(session: DbSession, user: User, child: Child) -> list[Entry]:
    """The clips of ``child`` that ``user`` may see now, in one query: each recording with its
    visible fragments beneath it (in time order), newest recording first. A fragment whose
    recording the person does not see stands on its own, without a hint of the recording.
    Raises nothing beyond database errors.
    """
    clips = session.scalars(
        queries.visible_clips(user, child).options(joinedload(Clip.uploader))
    ).all()
    shown = {clip.id for clip in clips}
    entries: dict[int, Entry] = {}
    order: list[Entry] = []
    for clip in clips:
        if clip.parent_id is None or clip.parent_id not in shown:
            entries[clip.id] = Entry(clip)
            order.append(entries[clip.id])
    for clip in clips:
        if clip.parent_id is not None and clip.parent_id in shown:
            entries[clip.parent_id].fragments.append(clip)
    for entry in order:
        entry.fragments.sort(key=lambda f: (f.start_s or 0.0, f.id))
    return order


def count_visible(session: DbSession, user: User, child: Child) -> int:
    """How many clips (recordings and fragments) of ``child`` ``user`` may see now."""
    return (
        session.scalar(
            select(func.count()).select_from(Clip).where(queries.clip_clause(user, child))
        )
        or 0
    )


def shareable(user: User, child: Child, entries: list[Entry]) -> set[int]:
    """The ids of the listed clips whose audience ``user`` may change (their own uploads, or
    every clip for a coach): where the list offers "who sees this?". No query per clip."""
    clips = [c for entry in entries for c in (entry.clip, *entry.fragments)]
    return {
        c.id
        for c in clips
        # Narrowing to private is open to exactly those who may change the audience at all.
        if may_set_audience(
            user, child, uploader_id=c.uploader_id, current=c.audience, new=Audience.PRIVATE
        )
    }


@dataclass(frozen=True)
class UploadOffer:
    """Which recording ``user`` may upload for a child, and whether consent allows it now."""

    source: Source
    allowed: bool


def upload_offer(user: User, child: Child) -> UploadOffer | None:
    """The upload the page offers ``user``: a school recording to the school side, a home
    recording to parents and the pupil; None for a role that uploads nothing. ``allowed`` is
    False while consent does not cover that source (the page says why). Raises nothing."""
    if policy.may(user, child, Action.UPLOAD_SCHOOL_RECORDING):
        source = Source.SCHOOL
    elif policy.may(user, child, Action.UPLOAD_HOME_RECORDING):
        source = Source.HOME
    else:
        return None
    return UploadOffer(source, gate.may_record(child, source))
