"""Who watched in a child's export: every playback start of the child's clips, as the
"who watched" page shows it to ``seat`` (a clip the seat may not see named by its audience
alone, never by its title), for whoever may read that page."""

from __future__ import annotations

from app.children.export.shapes import INSTANT, NINT, NSTR, Section, array_of, obj, when
from app.circle.policy import Action, Seat
from app.clips.services import streaming
from app.core.db import DbSession

WATCH = obj(
    "One playback start: when, by whom, which clip (its title only where the reader may see "
    "the clip now), its audience.",
    at=INSTANT,
    watcher=NSTR,
    clip_id=NINT,
    title=NSTR,
    audience=NSTR,
    fragment={"type": "boolean"},
)


def watched_source(session: DbSession, seat: Seat) -> Section:
    """The child's playback log as ``seat`` reads it on "who watched"; empty for a role that
    does not read it."""
    data = []
    if seat.may(Action.VIEW_WATCHERS):
        page = 1
        while True:
            found = streaming.watched(session, seat, page=page)
            data += [
                {
                    "at": when(w.at),
                    "watcher": w.watcher,
                    "clip_id": w.clip_id,
                    "title": w.title,
                    "audience": w.audience.value if w.audience else None,
                    "fragment": w.is_fragment,
                }
                for w in found.watches
            ]
            if not found.has_next:
                break
            page += 1
    schema = array_of("Who started playing which clip of the child, newest first.", WATCH)
    return Section("watched", data, schema)
