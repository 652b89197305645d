"""What PyAV tells about an opened media file, read one way wherever it is needed.

Machinery only: no knowledge of clips. The upload check (``clips.probe``) and processing
(``clips.services.transcode``) both read a video's length here, so a recording and its web
version are measured alike.
"""

from __future__ import annotations

from typing import Any

import av


def duration_of(container: Any, stream: Any) -> float | None:
    """The length in seconds of ``stream`` (a video stream of the open ``container``): the
    stream's own duration, else the container's, else None when neither is known or both are
    zero. Raises nothing.

    The stream comes first: the picture is what a moment points at and what a cut-short file
    lacks at its end, and a sound track that runs on would otherwise lengthen it.
    """
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return float(container.duration / av.time_base)
    return None
