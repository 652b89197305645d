"""Synthetic footage for tests, made with ffmpeg's test sources (never people), and what a
test reads back from a video: its top-level boxes, keyframes and metadata."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import av
import imageio_ffmpeg

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def ffmpeg(*args: str) -> None:
    """Run the bundled ffmpeg quietly; raises CalledProcessError when it fails."""
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def make_video(
    path: Path,
    *,
    seconds: float = 3,
    size: str = "320x240",
    rate: int = 25,
    audio: bool = True,
    codec: str = "libx264",
    rotate: int | None = None,
    vfr: bool = False,
    extra: tuple[str, ...] = (),
) -> Path:
    """Write a synthetic video to ``path`` (the container follows the suffix).

    ``rotate`` sets a display-matrix rotation flag as phones do (portrait footage);
    ``vfr`` drops frames unevenly, as phones do in low light; ``codec="libx265"`` gives HEVC as
    iPhones record it (tagged ``hvc1`` for ``.mov``).
    """
    args = ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    if vfr:
        args += ["-vf", "select='not(mod(n\\,3))+lt(n\\,10)',setpts=N/FRAME_RATE/TB*1.3"]
        args += ["-fps_mode", "vfr"]
    args += ["-c:v", codec, "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if codec == "libx265":
        args += ["-tag:v", "hvc1", "-x265-params", "log-level=error"]
    if audio:
        args += ["-c:a", "aac", "-shortest"]
    args += [*extra, str(path)]
    ffmpeg(*args)
    if rotate is not None:
        rotated = path.with_name(f"rotated-{path.name}")
        ffmpeg("-display_rotation", str(rotate), "-i", str(path), "-c", "copy", str(rotated))
        rotated.replace(path)
    return path


def top_level_boxes(path: Path) -> list[str]:
    """The names of an MP4's top-level boxes, in file order."""
    names, data, at = [], path.read_bytes(), 0
    while at + 8 <= len(data):
        size, name = struct.unpack(">I4s", data[at : at + 8])
        if size == 1:
            size = struct.unpack(">Q", data[at + 8 : at + 16])[0]
        names.append(name.decode("latin-1"))
        if size == 0:
            break
        at += size
    return names


def keyframe_times(path: Path) -> list[float]:
    """The times (seconds) of a video's keyframes, in order."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return sorted(
            round(float(p.pts * stream.time_base), 3)
            for p in container.demux(stream)
            if p.is_keyframe and p.pts is not None
        )


#: Metadata a muxer writes about the file's own structure; nothing from the source.
STRUCTURAL_TAGS = {"major_brand", "minor_version", "compatible_brands"}
STREAM_DEFAULTS = {"language": {"und"}, "handler_name": {"VideoHandler", "SoundHandler"}}


def all_tags(path: Path) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The container's metadata, and each stream's."""
    with av.open(str(path)) as container:
        return dict(container.metadata), [dict(s.metadata) for s in container.streams]


def assert_no_metadata(path: Path) -> None:
    """Nothing of the source's metadata (place, device, time) survived in ``path``."""
    container_tags, stream_tags = all_tags(path)
    assert set(container_tags) <= STRUCTURAL_TAGS, container_tags
    for tags in stream_tags:
        for key, value in tags.items():
            assert value in STREAM_DEFAULTS.get(key, set()), (key, value)
