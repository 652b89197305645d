"""One conversion at a time, the poster before the wait, and a killed worker's clip.

The locks are flock()s on files (``app.clips.services.transcode``); other workers are played
by real processes that take the same locks.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask_babel import force_locale
from sqlalchemy import select

from app.clips.models import ClipState
from app.clips.services import conversion, cutting, processing, transcode
from app.core import storage
from app.core.audit import AuditEvent
from app.core.db import db, utcnow
from app.core.errors import RefusedError
from tests.support.clips import held, media_root


def test_the_poster_appears_at_once_and_the_conversion_waits_for_the_running_one(
    app, app_ctx, upload, videos, monkeypatch
):
    # The order of events is proven by handshakes, not by timers: the other conversion is let
    # go only once the poster is out (so the poster did not wait for it), and the conversion
    # is seen starting only after that release (so it did wait).
    order: list[str] = []
    poster_out = threading.Event()
    publish, run = processing.Work.publish_poster, transcode._run
    timings: dict[str, float] = {}

    def poster_spy(self: processing.Work, jpeg: Path) -> None:
        publish(self, jpeg)
        timings["poster"] = time.monotonic()
        order.append("poster")
        poster_out.set()

    def run_spy(args: list[str], **kwargs: Any) -> None:
        if "-progress" in args and "converting" not in order:
            order.append("converting")
        run(args, **kwargs)

    monkeypatch.setattr(processing.Work, "publish_poster", poster_spy)
    monkeypatch.setattr(transcode, "_run", run_spy)
    clip = upload(videos["landscape"])
    lock = transcode.lock_dir(media_root(app)) / "conversion.lock"

    with held(lock) as other_conversion:

        def finish_other_after_the_poster() -> None:
            # Let go in any case, so a poster that never comes fails the test, not hangs it.
            poster_out.wait(timeout=60)
            order.append("released")
            other_conversion.send_signal(signal.SIGKILL)

        releaser = threading.Thread(target=finish_other_after_the_poster)
        releaser.start()
        started = time.monotonic()
        state = conversion.convert(clip.id)
        releaser.join()

    assert state is ClipState.READY
    assert order == ["poster", "released", "converting"]
    assert timings["poster"] - started < 2  # the page shows a poster within two seconds


WORKER = """
import json, sys, time
from pathlib import Path
from app.clips.services import transcode
with transcode.conversion_slot(Path(sys.argv[1])):
    start = time.monotonic()
    time.sleep(0.4)
    print(json.dumps([start, time.monotonic()]), flush=True)
"""


def test_two_workers_never_convert_at_the_same_time(tmp_path):
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(tmp_path)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        for _ in range(3)
    ]
    spans = sorted(tuple(json.loads(w.communicate(timeout=30)[0])) for w in workers)
    assert len(spans) == 3
    for (_, first_end), (second_start, _) in zip(spans, spans[1:], strict=False):
        assert second_start >= first_end


def test_two_threads_of_one_worker_never_convert_at_the_same_time(tmp_path):
    spans: list[tuple[float, float]] = []

    def convert() -> None:
        with transcode.conversion_slot(tmp_path):
            start = time.monotonic()
            time.sleep(0.2)
            spans.append((start, time.monotonic()))

    threads = [threading.Thread(target=convert) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    spans.sort()
    assert len(spans) == 3
    for (_, first_end), (second_start, _) in zip(spans, spans[1:], strict=False):
        assert second_start >= first_end


def test_a_clip_whose_worker_was_killed_is_retryable_and_never_half_published(
    app, app_ctx, upload, videos, circle
):
    clip = upload(videos["landscape"])
    # A worker claimed the clip and holds its lock while it converts; the clip was started
    # as often as it resumes by itself.
    clip.state, clip.attempts = ClipState.PROCESSING, processing.AUTO_RESUME_LIMIT
    db.session.commit()
    lock = transcode.lock_dir(media_root(app)) / f"clip-{clip.id}.lock"

    leftover = media_root(app) / ".work" / f"clip-{clip.id}-killed"
    leftover.mkdir(parents=True)
    (leftover / "web.mp4").write_bytes(b"half a video")

    with held(lock) as worker:
        assert not processing.is_stuck(clip)
        assert processing.shown_state(clip) is ClipState.PROCESSING
        with force_locale("en"), pytest.raises(RefusedError, match="still being converted"):
            processing.retry(db.session, clip, actor=circle.coach)
        assert processing.recover_interrupted() == 0
        worker.send_signal(signal.SIGKILL)  # the worker dies mid-way
        worker.wait(timeout=10)

        assert processing.is_stuck(clip)
        assert processing.shown_state(clip) is ClipState.FAILED
        assert processing.failure_code(clip) == processing.INTERRUPTED
        assert clip.web_key is None  # nothing was published

        assert processing.recover_interrupted() == 1
        assert not leftover.exists()
    db.session.refresh(clip)
    assert (clip.state, clip.failure) == (ClipState.FAILED, processing.INTERRUPTED)
    assert storage.path_of(clip.original_key).exists()
    failed = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "clip_failed", AuditEvent.object_id == clip.id
        )
    ).all()
    assert [e.payload()["failure"] for e in failed] == ["interrupted"]

    processing.retry(db.session, clip, actor=circle.coach)
    db.session.commit()
    cutting.enqueue(clip)

    db.session.refresh(clip)
    assert clip.state is ClipState.READY
    assert clip.attempts == processing.AUTO_RESUME_LIMIT + 1


def test_a_stuck_clip_can_be_retried_before_the_periodic_job_noticed(
    app, app_ctx, upload, videos, circle
):
    clip = upload(videos["silent"])
    clip.state = ClipState.PROCESSING  # its worker is gone: nobody holds the lock
    db.session.commit()

    processing.retry(db.session, clip, actor=circle.coach)
    db.session.commit()
    cutting.enqueue(clip)

    db.session.refresh(clip)
    assert clip.state is ClipState.READY


def test_scratch_files_a_killed_worker_left_are_removed_on_the_next_attempt(
    app, app_ctx, upload, videos
):
    clip = upload(videos["silent"])
    leftover = media_root(app) / ".work" / f"clip-{clip.id}-killed"
    leftover.mkdir(parents=True)
    (leftover / "web.mp4").write_bytes(b"half a video")

    conversion.convert(clip.id)

    assert not leftover.exists()
    assert not list((media_root(app) / ".work").glob(f"clip-{clip.id}-*"))


def test_an_upload_whose_job_was_lost_can_be_queued_again_after_an_hour(
    app, app_ctx, upload, videos, circle
):
    clip = upload(videos["silent"])  # UPLOADED, and its job never arrives

    assert not processing.is_stuck(clip)
    with pytest.raises(RefusedError):
        processing.retry(db.session, clip, actor=circle.coach)

    later = utcnow() + processing.QUEUE_PATIENCE + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        assert processing.shown_state(clip) is ClipState.FAILED
        assert processing.failure_code(clip) == processing.NOT_STARTED
        processing.retry(db.session, clip, actor=circle.coach)
        db.session.commit()
    cutting.enqueue(clip)

    db.session.refresh(clip)
    assert clip.state is ClipState.READY and clip.attempts == 1


CONVERTER = """
import sys
from pathlib import Path
from app.clips.services import transcode
endless = ["-f", "lavfi", "-i", "testsrc2=size=1280x720:duration=600", "-c:v", "libx264",
           "-preset", "veryfast", "-f", "null", "-"]
transcode._run(["-progress", "pipe:1", *endless], log_file=Path(sys.argv[1]),
               on_line=lambda line: print(line, flush=True))
"""


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_ffmpeg_dies_with_a_killed_worker(tmp_path):
    worker = subprocess.Popen(
        [sys.executable, "-c", CONVERTER, str(tmp_path / "ffmpeg.log")],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    ffmpeg_pid = 0
    try:
        assert worker.stdout is not None
        while not worker.stdout.readline().startswith("progress="):
            pass  # ffmpeg is converting and reporting
        children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
        assert len(children) == 1
        ffmpeg_pid = int(children[0])
        assert alive(ffmpeg_pid)

        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)

        deadline = time.monotonic() + 5
        while alive(ffmpeg_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(ffmpeg_pid), "ffmpeg went on converting without its worker"
    finally:
        if worker.poll() is None:
            worker.kill()
        if ffmpeg_pid and alive(ffmpeg_pid):
            os.kill(ffmpeg_pid, signal.SIGKILL)
