"""The ffmpeg side of processing: posters, web versions, copy cuts, progress and locks.

Everything here works on plain paths and knows nothing of the database; ``processing`` and
``cutting`` decide what to make and record the result. Ffmpeg is imageio-ffmpeg's binary;
probing is done with PyAV (no ffprobe ships).

The web version (DESIGN.md "Recording / clip"): H.264 (``libx264 -preset veryfast``,
``yuv420p``) and stereo AAC (no audio stream when the source has none) in MP4 with the index
first (``+faststart``), the short side at most 720 pixels with the aspect ratio kept and the
rotation flag applied (ffmpeg turns the picture upright when it re-encodes, so portrait stays
portrait), a keyframe every 2 seconds exactly (forced, no scene-cut keyframes) so that copy cuts
land on the 2-second grid, and no metadata at all: global, per-stream and chapters are dropped
and ``bitexact`` keeps even the encoder's name out (a phone's GPS position lives there).

Two locks, both ``flock`` on files in ``<MEDIA_ROOT>/.locks`` (flock, not lockf: flock locks
belong to an open file, so two threads of one worker exclude each other too, and the kernel
drops them when a process dies, even by SIGKILL):

- ``clip-<id>.lock`` is held by whoever is processing that clip, from before the state becomes
  PROCESSING until after it is READY or FAILED. A PROCESSING clip whose lock is free therefore
  has no worker: it was killed, and the clip is retryable (:func:`lock_is_free`).
- ``conversion.lock`` is held around every ffmpeg encode, so that two workers (or two threads)
  never convert at once on a 2-core machine, whatever the worker count says.

Both assume workers share this machine's file system, as in the embedded and scale-out profiles.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import imageio_ffmpeg

from app.core.media import duration_of

log = logging.getLogger("beeldbrug.clips.processing")

KEYFRAME_INTERVAL_S = 2
MAX_SHORT_SIDE = 720
#: How often progress is reported (ffmpeg's -stats_period; seconds).
PROGRESS_PERIOD_S = 0.5

# Failure codes: short, stable, shown to people as a sentence by ``processing.failure_message``.
PROBE_FAILED = "probe_failed"
CONVERSION_FAILED = "conversion_failed"
DISK_FULL = "disk_full"

# The short side at most 720 pixels, even sizes (yuv420p needs them), aspect ratio kept.
_SCALE = (
    f"scale=w='if(gte(iw,ih),-2,min({MAX_SHORT_SIDE},trunc(iw/2)*2))'"
    f":h='if(gte(iw,ih),min({MAX_SHORT_SIDE},trunc(ih/2)*2),-2)',setsar=1"
)
_NO_METADATA = [
    "-map_metadata", "-1",
    "-map_metadata:s:v", "-1",
    "-map_metadata:s:a", "-1",
    "-map_chapters", "-1",
    "-metadata:s", "encoder=",
    "-fflags", "+bitexact",
    "-flags:v", "+bitexact",
    "-flags:a", "+bitexact",
]  # fmt: skip


class MediaError(Exception):
    """Making a poster or a web version failed; ``code`` is one of this module's codes."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


@dataclass(frozen=True)
class Facts:
    """What processing needs to know of a video: as shown (rotation applied)."""

    duration_s: float
    width: int
    height: int
    has_audio: bool


def ffmpeg_exe() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def facts(path: Path) -> Facts:
    """Duration, size as shown and whether there is sound. Raises MediaError(PROBE_FAILED)."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise MediaError(PROBE_FAILED, "no video stream")
            stream = container.streams.video[0]
            width, height = stream.codec_context.width, stream.codec_context.height
            rotation = _rotation(container)
            if rotation % 180:
                width, height = height, width
            duration = duration_of(container, stream)
            if duration is None:
                raise MediaError(PROBE_FAILED, "no duration")
            return Facts(duration, width, height, bool(container.streams.audio))
    except MediaError:
        raise
    except (av.FFmpegError, OSError, ValueError, StopIteration) as error:
        raise MediaError(PROBE_FAILED, type(error).__name__) from error


def _rotation(container: av.container.InputContainer) -> int:
    # The display matrix rides on the decoded frames in PyAV; one frame is enough.
    for frame in container.decode(video=0):
        rotation = getattr(frame, "rotation", 0) or 0
        return int(round(rotation))
    raise MediaError(PROBE_FAILED, "no frame")


def keyframe_times(path: Path) -> list[float]:
    """The times (seconds) of the video keyframes, read from packets without decoding."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        time_base = stream.time_base
        assert time_base is not None  # PyAV types it optional; a demuxed stream has one
        times = [
            float(packet.pts * time_base)
            for packet in container.demux(stream)
            if packet.is_keyframe and packet.pts is not None
        ]
    return sorted(times)


def poster_time(duration_s: float) -> float:
    """Where the poster is taken: at 1 s, or 10 % in for a clip shorter than 2 s."""
    return 1.0 if duration_s >= 2 else max(0.0, duration_s * 0.1)


def make_poster(source: Path, out: Path, *, at: float) -> None:
    """Write one JPEG frame of ``source`` at ``at`` seconds, short side at most 720, upright.

    Raises MediaError(CONVERSION_FAILED | DISK_FULL).
    """
    args = ["-ss", f"{at:.3f}", "-i", str(source), "-frames:v", "1", "-vf", _SCALE]
    args += ["-q:v", "3", *_NO_METADATA, "-f", "image2", "-update", "1", str(out)]
    _run(args, log_file=out.with_suffix(".log"))
    if not out.is_file() or out.stat().st_size == 0:
        raise MediaError(CONVERSION_FAILED, "no poster frame")


def web_args(
    source: Path, out: Path, *, has_audio: bool, start: float | None, length: float | None
) -> list[str]:
    """The ffmpeg arguments of a web version of ``source`` (or of a span of it)."""
    args = ["-ss", f"{start:.3f}"] if start else []
    args += ["-i", str(source)]
    if length is not None:
        args += ["-t", f"{length:.3f}"]
    # V, not v: the first real video stream, never a cover picture stored as one.
    args += ["-map", "0:V:0", "-vf", _SCALE]
    args += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p"]
    args += ["-force_key_frames", f"expr:gte(t,n_forced*{KEYFRAME_INTERVAL_S})"]
    args += ["-forced-idr", "1", "-sc_threshold", "0"]
    if has_audio:
        args += ["-map", "0:a:0", "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-ar", "48000"]
    args += [*_NO_METADATA, "-movflags", "+faststart", str(out)]
    return args


def encode(
    source: Path,
    out: Path,
    *,
    duration_s: float,
    has_audio: bool,
    media_root: Path,
    on_progress: Callable[[int], None],
    start: float | None = None,
    length: float | None = None,
) -> None:
    """Make the web version of ``source`` (or of ``length`` seconds from ``start``) in ``out``.

    Holds the conversion lock (in ``media_root``) while ffmpeg runs, so that this machine
    converts one video at a time, and calls ``on_progress(percent)`` about every half second
    from ffmpeg's ``-progress`` output, read against ``duration_s``. If the worker dies,
    the kernel kills ffmpeg too (Linux's parent-death signal). Raises
    MediaError(CONVERSION_FAILED | DISK_FULL); ``out`` may then hold a partial file.
    """
    args = web_args(source, out, has_audio=has_audio, start=start, length=length)
    with conversion_slot(media_root):
        _run(
            ["-progress", "pipe:1", "-stats_period", str(PROGRESS_PERIOD_S), *args],
            log_file=out.with_suffix(".log"),
            on_line=_progress_reader(duration_s, on_progress),
        )


def copy_span(source: Path, out: Path, *, start: float, length: float) -> None:
    """Cut ``length`` seconds from the keyframe at ``start`` by stream copy (no re-encoding).

    Raises MediaError(CONVERSION_FAILED | DISK_FULL).
    """
    args = ["-ss", f"{start:.3f}", "-i", str(source), "-t", f"{length:.3f}"]
    args += ["-map", "0:V:0", "-map", "0:a:0?", "-c", "copy", "-avoid_negative_ts", "make_zero"]
    args += [*_NO_METADATA, "-movflags", "+faststart", str(out)]
    _run(args, log_file=out.with_suffix(".log"))


def _progress_reader(duration_s: float, report: Callable[[int], None]) -> Callable[[str], None]:
    def on_line(line: str) -> None:
        key, _, value = line.partition("=")
        if key == "out_time_us" and value.strip().isdigit() and duration_s > 0:
            done = int(value) / 1_000_000 / duration_s
            report(max(0, min(99, int(done * 100))))

    return on_line


_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> Callable[[], None]:
    # Ffmpeg outlives a killed worker otherwise (it ignores the broken progress pipe) and
    # would go on converting beside the next conversion, outside the conversion lock.
    def arrange() -> None:
        if _libc is not None:
            _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != parent:  # the worker died before the request took hold
                os._exit(1)

    return arrange


def _run(args: list[str], *, log_file: Path, on_line: Callable[[str], None] | None = None) -> None:
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    with log_file.open("wb") as errors:
        process = subprocess.Popen(  # noqa: S603 - our own arguments, no shell
            command,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            preexec_fn=_die_with_parent(os.getpid()),  # noqa: PLW1509 - one system call
        )
        assert process.stdout is not None
        for line in process.stdout:
            if on_line is not None:
                on_line(line.strip())
        code = process.wait()
    if code != 0:
        tail = log_file.read_text(errors="replace")[-2000:]
        log.warning("ffmpeg exited with %s: %s", code, tail)
        failure = DISK_FULL if "No space left" in tail else CONVERSION_FAILED
        raise MediaError(failure, f"exit {code}")


def is_disk_full(error: OSError) -> bool:
    return error.errno in {errno.ENOSPC, errno.EDQUOT}


# --- locks ------------------------------------------------------------------------------------


def lock_dir(media_root: Path) -> Path:
    """Where the lock files live: beside the media, where no storage key can point."""
    folder = Path(media_root) / ".locks"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


@contextlib.contextmanager
def _flock(path: Path, *, wait: bool = True) -> Iterator[bool]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def clip_lock(media_root: Path, clip_id: int) -> Iterator[None]:
    """Hold clip ``clip_id``'s lock (waiting for it) for as long as the block runs."""
    with _flock(lock_dir(media_root) / f"clip-{int(clip_id)}.lock"):
        yield


@contextlib.contextmanager
def try_clip_lock(media_root: Path, clip_id: int) -> Iterator[bool]:
    """Take clip ``clip_id``'s lock if it is free; yields whether it was taken."""
    with _flock(lock_dir(media_root) / f"clip-{int(clip_id)}.lock", wait=False) as taken:
        yield taken


def lock_is_free(media_root: Path, clip_id: int) -> bool:
    """True when no process holds clip ``clip_id``'s lock (no worker is processing it)."""
    with try_clip_lock(media_root, clip_id) as taken:
        return taken


@contextlib.contextmanager
def conversion_slot(media_root: Path) -> Iterator[None]:
    """Wait for and hold the machine's one conversion slot while the block runs."""
    started = time.monotonic()
    with _flock(lock_dir(media_root) / "conversion.lock"):
        waited = time.monotonic() - started
        if waited > 1:
            log.info("waited %.1f s for the conversion slot", waited)
        yield
