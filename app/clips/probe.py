"""Is this file a video we can convert? Decided by decoding it with PyAV, never by its name.

:func:`probe` opens the container, decodes the first video frame and the last second, and
returns what the conversion needs to know. Phones send HEVC in ``.mov`` (iPhone), portrait
footage with a rotation flag (display-matrix side data), and variable frame rates (Android in
low light): all of these pass. Anything else raises :class:`NotAVideoError` with a code that
the upload page turns into a sentence (:func:`message_for`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from app.core.i18n import lazy_gettext as _l
from app.core.media import duration_of

log = logging.getLogger("beeldbrug.clips")

#: How far from the end the last decodable frame may be before the file counts as cut short.
TAIL_SECONDS = 1.5

EMPTY = "empty"  # zero bytes
NOT_A_VIDEO = "not_a_video"  # text, HTML, a picture or anything no demuxer understands
NO_VIDEO = "no_video"  # a sound recording: a container without a video stream
TRUNCATED = "truncated"  # the file stops before its end (a copy or upload cut short)
UNDECODABLE = "undecodable"  # a video stream whose frames cannot be decoded

MESSAGES: dict[str, Any] = {
    EMPTY: _l("The file is empty. Choose the video again."),
    NOT_A_VIDEO: _l("This file is not a video. Choose a video from your camera or computer."),
    NO_VIDEO: _l("This file contains sound but no picture. Choose a video."),
    TRUNCATED: _l(
        "This video is incomplete: the file stops before its end. Copy it again from the "
        "camera and upload the complete file."
    ),
    UNDECODABLE: _l("This video cannot be played. Save it again with your camera's app."),
}


class NotAVideoError(ValueError):
    """The file is not a decodable video; ``code`` is one of this module's codes."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class VideoInfo:
    """What a probe found: the picture as recorded (before rotation) and how to show it."""

    duration_s: float
    width: int
    height: int
    rotation: int  # degrees the picture is turned when shown (phones: 90 or -90 for portrait)
    video_codec: str
    has_audio: bool
    frame_rate: float | None  # the average rate; phones vary it

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as the picture is shown, the rotation applied."""
        if self.rotation % 180:
            return self.height, self.width
        return self.width, self.height


def message_for(code: str) -> Any:
    """The sentence for a refusal code (lazy, in the current language)."""
    return MESSAGES.get(code, MESSAGES[NOT_A_VIDEO])


def probe(path: Path | str) -> VideoInfo:
    """Decode enough of ``path`` to know it is a whole video, and describe it.

    Raises NotAVideoError(EMPTY | NOT_A_VIDEO | NO_VIDEO | TRUNCATED | UNDECODABLE). Never
    raises anything else for bad content; OSError for a file that cannot be read at all.
    """
    path = Path(path)
    if path.stat().st_size == 0:
        raise NotAVideoError(EMPTY)
    try:
        container = av.open(str(path), mode="r")
    except av.FFmpegError as error:
        raise NotAVideoError(_opening_failure(path)) from error
    with container:
        if not container.streams.video:
            raise NotAVideoError(NO_VIDEO)
        stream = container.streams.video[0]
        has_audio = bool(container.streams.audio)
        duration = duration_of(container, stream)
        first = _first_frame(container, stream)
        if first is None:
            raise NotAVideoError(UNDECODABLE)
        if duration is None or duration <= 0:
            raise NotAVideoError(TRUNCATED)
        _check_tail(container, stream, duration)
        rate = stream.average_rate
        return VideoInfo(
            duration_s=round(duration, 3),
            width=int(stream.codec_context.width or first.width),
            height=int(stream.codec_context.height or first.height),
            rotation=int(getattr(first, "rotation", 0) or 0),
            video_codec=str(stream.codec_context.name),
            has_audio=has_audio,
            frame_rate=float(rate) if rate else None,
        )


def _opening_failure(path: Path) -> str:
    # A file that begins like an MP4 or QuickTime movie but cannot be opened lost its index
    # at the end: a copy cut short, not a text file in disguise.
    with path.open("rb") as handle:
        head = handle.read(12)
    return TRUNCATED if head[4:8] in {b"ftyp", b"mdat", b"moov", b"wide", b"free"} else NOT_A_VIDEO


def _first_frame(container: Any, stream: Any) -> Any:
    try:
        for frame in container.decode(stream):
            return frame
    except av.FFmpegError:
        return None
    return None


def _check_tail(container: Any, stream: Any, duration: float) -> None:
    """Decode from about a second before the end; a cut-off file has nothing there."""
    start = _seconds(stream.start_time, stream.time_base)
    target = max(start, start + duration - TAIL_SECONDS)
    last = None
    try:
        container.seek(int(target / stream.time_base), stream=stream, backward=True)
        for frame in container.decode(stream):
            if frame.pts is not None:
                last = _seconds(frame.pts, stream.time_base)
    except av.FFmpegError as error:
        log.info("probe: decoding the end failed: %s", error)
    if last is None or last < start + duration - TAIL_SECONDS - 1.0:
        raise NotAVideoError(TRUNCATED)


def _seconds(value: int | None, time_base: Fraction | None) -> float:
    if value is None or not time_base:
        return 0.0
    return float(value * time_base)
