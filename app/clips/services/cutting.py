"""The cut of a fragment: a span of its recording's web version, made into a clip of its own.

The fragment's row (recording, in and out points, audience; state UPLOADED) is made by
``services.fragments`` when the coach saves it; the worker (the job :func:`cut_fragment`)
then cuts it here, through the same claim → poster → web version → READY | FAILED steps as a
recording (``processing.run``), so that progress, failure and retry work alike.

The recording's web version has a keyframe every 2 seconds. When the in-point lies within
0.15 s of one, the span is copied from that keyframe without re-encoding (instant, and the
picture is the same); otherwise it is re-encoded from the exact in-point with the web
version's settings (a few seconds of work, under the conversion lock).
"""

from __future__ import annotations

import logging
from pathlib import Path

from app.clips.models import Clip, ClipState
from app.clips.services import conversion, processing, transcode
from app.clips.services.processing import Work
from app.core.jobs import job

log = logging.getLogger("beeldbrug.clips.processing")

#: How far from a keyframe an in-point may lie for a copy cut (seconds).
COPY_TOLERANCE_S = 0.15


def cut(fragment_id: int) -> ClipState | None:
    """Cut fragment ``fragment_id`` from its recording's web version.

    Returns the state the fragment ended in, or None when there was nothing to do. Raises
    nothing: a failure is recorded on the fragment (FAILED with a code, retryable).
    """
    return processing.run(fragment_id, make_fragment)


def copy_point(keyframes: list[float], start_s: float) -> float | None:
    """The keyframe to copy from for an in-point at ``start_s``, or None to re-encode."""
    if not keyframes:
        return None
    nearest = min(keyframes, key=lambda t: abs(t - start_s))
    return nearest if abs(nearest - start_s) <= COPY_TOLERANCE_S else None


def make_fragment(work: Work) -> Path:
    """Cut the span, then make and publish its poster. Raises MediaError, ValueError."""
    if work.start_s is None or work.end_s is None or work.end_s <= work.start_s:
        raise transcode.MediaError(transcode.CONVERSION_FAILED, "no span to cut")
    out = work.scratch / "web.mp4"
    source_facts = transcode.facts(work.source)
    end = min(work.end_s, source_facts.duration_s)
    keyframe = copy_point(transcode.keyframe_times(work.source), work.start_s)
    if keyframe is not None:
        log.info("fragment %s: copy cut from %.3f s", work.clip_id, keyframe)
        transcode.copy_span(work.source, out, start=keyframe, length=end - keyframe)
        work.progress(90)
    else:
        log.info("fragment %s: re-encoding from %.3f s", work.clip_id, work.start_s)
        transcode.encode(
            work.source,
            out,
            duration_s=end - work.start_s,
            has_audio=source_facts.has_audio,
            media_root=processing.media_root(),
            on_progress=work.progress,
            start=work.start_s,
            length=end - work.start_s,
        )
    made = transcode.facts(out)
    poster = work.scratch / "poster.jpg"
    transcode.make_poster(out, poster, at=transcode.poster_time(made.duration_s))
    work.publish_poster(poster)
    return out


@job()
def cut_fragment(fragment_id: int) -> None:
    """Background: cut a committed fragment from its recording's web version (:func:`cut`)."""
    cut(fragment_id)


def enqueue(clip: Clip) -> None:
    """Queue the work of a committed UPLOADED clip: a cut for a fragment, else a conversion."""
    if clip.is_fragment:
        cut_fragment(clip.id)
    else:
        conversion.convert_clip(clip.id)
