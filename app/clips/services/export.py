"""What a person may take with them of a child's clips (a child's export): the ready clips they
may watch now, each with the storage key of its web version and the moments they see in it.

The same two rules as the clip pages (``queries.clip_clause``: audience and consent; moments
by their own audience), in a fixed number of queries however many clips there are. The
original upload is never offered: only the stripped web version.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.circle.audience import visible_clause
from app.circle.policy import Seat
from app.clips.models import Clip, Moment
from app.clips.services import queries, streaming
from app.clips.services.moments import export_vtt
from app.core.db import DbSession


@dataclass(frozen=True)
class WatchableClip:
    """A clip ``seat`` may watch, its web version's storage key and the moments it sees."""

    clip: Clip
    video_key: str
    moments: list[Moment] = field(default_factory=list)

    def vtt(self) -> str:
        """The moments as WebVTT cues (tag and note; in the current language)."""
        return export_vtt(self.moments, self.clip.duration_s)


def watchable_clips(session: DbSession, seat: Seat) -> list[WatchableClip]:
    """Every ready clip (recording or fragment) of ``seat``'s child that ``seat`` may watch
    now, newest recording first, with the moments ``seat`` sees in each (in time order).
    Two queries. Raises nothing beyond database errors."""
    clips = list(
        session.scalars(
            queries.visible_clips(seat, ready_only=True).options(joinedload(Clip.uploader))
        )
    )
    by_clip: dict[int, list[Moment]] = defaultdict(list)
    if clips:
        audience = visible_clause(
            seat,
            child_col=Moment.child_id,
            audience_col=Moment.audience,
            uploader_col=Moment.author_id,
        )
        moments = session.scalars(
            select(Moment)
            .where(audience, Moment.clip_id.in_([c.id for c in clips]))
            .options(selectinload(Moment.author), selectinload(Moment.custom_tag))
            .order_by(Moment.clip_id, Moment.start_s, Moment.id)
        )
        for moment in moments:
            by_clip[moment.clip_id].append(moment)
    return [WatchableClip(c, streaming.video_key(c), by_clip.get(c.id, [])) for c in clips]
