"""Background work on clips (Huey): the poster and web version of an upload, fragments."""

from __future__ import annotations

from app.core.jobs import job


@job()
def process_clip(clip_id: int) -> None:
    """Make the poster and the web version of an uploaded clip (see services.processing)."""
    from app.clips.services import processing

    processing.process(clip_id)
