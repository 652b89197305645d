"""The conversion worker: an uploaded recording made watchable (poster, then web version).

The job :func:`convert_clip` (queued by ``cutting.enqueue`` once the upload is committed) runs
:func:`convert` in the worker: through the shared claim → poster → web version → READY | FAILED
steps of :func:`app.clips.services.processing.run`, with :func:`make_web_version` as the way of
making the web version (``transcode.encode``: H.264/AAC, at most 720p, 2-second keyframes, no
metadata). Fragments are cut instead (:mod:`app.clips.services.cutting`).
"""

from __future__ import annotations

from pathlib import Path

from app.clips.models import ClipState
from app.clips.services import processing, transcode
from app.clips.services.processing import Work
from app.core.jobs import job


def convert(clip_id: int) -> ClipState | None:
    """Make the poster and web version of uploaded recording ``clip_id``.

    Returns the state the clip ended in, or None when there was nothing to do (no such clip,
    or not UPLOADED: already done, or retried twice). Raises nothing: every failure is
    recorded on the clip as FAILED with a code.
    """
    return processing.run(clip_id, make_web_version)


def make_web_version(work: Work) -> Path:
    """The recording's poster (published at once) and web version. Raises MediaError."""
    facts = transcode.facts(work.source)
    poster = work.scratch / "poster.jpg"
    transcode.make_poster(work.source, poster, at=transcode.poster_time(facts.duration_s))
    work.publish_poster(poster)
    out = work.scratch / "web.mp4"
    transcode.encode(
        work.source,
        out,
        duration_s=facts.duration_s,
        has_audio=facts.has_audio,
        media_root=processing.media_root(),
        on_progress=work.progress,
    )
    return out


@job()
def convert_clip(clip_id: int) -> None:
    """Background: make the poster and the web version of an uploaded clip (:func:`convert`)."""
    convert(clip_id)
