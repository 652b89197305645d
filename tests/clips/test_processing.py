"""Background processing of uploaded clips: poster, web version, states, failure and retry.

The videos are the synthetic fixtures (``tests/support/clip_fixtures.py``); ffmpeg and PyAV
are real.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.clips.models import Clip, ClipState
from app.clips.services import conversion, cutting, processing, transcode
from app.core import storage
from app.core.audit import AuditEvent
from app.core.db import db
from tests.support.footage import (
    all_tags,
    assert_no_metadata,
    ffmpeg,
    keyframe_times,
    make_video,
    top_level_boxes,
)


def events(action: str, clip: Clip) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action, AuditEvent.object_id == clip.id)
        )
    )


@pytest.mark.parametrize(
    ("kind", "portrait", "has_audio"),
    [
        ("landscape", False, True),
        ("portrait", True, True),
        ("hevc", False, True),
        ("vfr", False, True),
        ("silent", False, False),
    ],
)
def test_every_kind_of_phone_video_becomes_a_stripped_web_version(
    app_ctx, upload, videos, kind, portrait, has_audio
):
    clip = upload(videos[kind])
    original = storage.path_of(clip.original_key)
    duration = transcode.facts(original).duration_s

    assert conversion.convert(clip.id) is ClipState.READY

    db.session.refresh(clip)
    assert clip.state is ClipState.READY and clip.progress == 100 and clip.attempts == 1
    assert clip.ready_at is not None and clip.failure is None
    web = storage.path_of(clip.web_key)
    assert clip.web_size == web.stat().st_size
    with av.open(str(web)) as container:
        video = container.streams.video[0]
        assert video.codec_context.name == "h264"
        assert video.codec_context.pix_fmt == "yuv420p"
        width, height = video.codec_context.width, video.codec_context.height
        audio = container.streams.audio
        assert [a.codec_context.name for a in audio] == (["aac"] if has_audio else [])
        if has_audio:
            assert audio[0].codec_context.channels == 2
    # Portrait footage (a rotation flag) comes out upright, portrait; landscape stays so.
    assert (height > width) is portrait
    assert min(width, height) <= 720
    assert (clip.width, clip.height) == (width, height)
    assert clip.duration_s == pytest.approx(duration, abs=0.1)
    # Fast start: the index before the media data.
    boxes = top_level_boxes(web)
    assert boxes.index("moov") < boxes.index("mdat")
    # A keyframe every 2 seconds, on the grid.
    grid = [float(t) for t in range(0, int(duration * 1000), 2000)]
    assert keyframe_times(web) == pytest.approx([t / 1000 for t in grid], abs=0.1)
    assert_no_metadata(web)
    poster = storage.path_of(clip.poster_key)
    assert poster.read_bytes()[:3] == b"\xff\xd8\xff"
    # Only the stripped web version is kept.
    assert clip.original_key is None and not original.exists()
    assert len(events("clip_ready", clip)) == 1


def test_a_large_video_is_scaled_to_720p_keeping_its_aspect_ratio(app_ctx, upload, tmp_path):
    clip = upload(make_video(tmp_path / "hd.mp4", seconds=1, size="1920x1080"))

    conversion.convert(clip.id)

    db.session.refresh(clip)
    assert (clip.width, clip.height) == (1280, 720)
    with av.open(str(storage.path_of(clip.poster_key))) as poster:
        frame = poster.streams.video[0].codec_context
        assert (frame.width, frame.height) == (1280, 720)


def test_the_location_a_phone_records_is_not_in_the_web_version(app_ctx, upload, videos, tmp_path):
    source = tmp_path / "gps.mov"
    ffmpeg(
        "-i", str(videos["hevc"]), "-c", "copy",
        "-metadata", "location=+52.0907+005.1214/",
        "-metadata", "com.apple.quicktime.location.ISO6709=+52.0907+005.1214+000.000/",
        "-metadata", "title=Sem in de kring",
        "-metadata", "creation_time=2026-10-05T09:12:00Z",
        "-metadata:s:v", "title=camera achter",
        "-movflags", "use_metadata_tags",
        str(source),
    )  # fmt: skip
    container_tags, _ = all_tags(source)
    assert "location" in container_tags  # the fixture really carries a position
    assert "com.apple.quicktime.location.ISO6709" in container_tags
    clip = upload(source)

    conversion.convert(clip.id)

    db.session.refresh(clip)
    web = storage.path_of(clip.web_key)
    assert_no_metadata(web)
    assert b"52.0907" not in web.read_bytes()
    assert b"Sem in de kring" not in web.read_bytes()


def test_progress_is_written_while_converting_and_reaches_100(app_ctx, upload, videos, monkeypatch):
    seen: list[int] = []
    write = processing.Work.progress

    def spy(self: processing.Work, percent: int) -> None:
        seen.append(percent)
        write(self, percent)

    monkeypatch.setattr(processing.Work, "progress", spy)
    monkeypatch.setattr(transcode, "PROGRESS_PERIOD_S", 0.05)
    clip = upload(videos["long"])

    conversion.convert(clip.id)

    db.session.refresh(clip)
    assert seen, "no progress was reported"
    assert seen == sorted(seen) and all(0 <= p < 100 for p in seen)
    assert seen[-1] >= 50
    assert clip.progress == 100


def test_a_corrupt_original_fails_keeps_the_original_and_a_retry_works_once_fixed(
    app_ctx, upload, videos, circle
):
    clip = upload(videos["truncated"])
    original = storage.path_of(clip.original_key)
    media = original.parent.parent
    before = {p for p in media.rglob("*") if p.is_file()}

    assert conversion.convert(clip.id) is ClipState.FAILED

    db.session.refresh(clip)
    assert clip.state is ClipState.FAILED
    assert clip.failure in {transcode.PROBE_FAILED, transcode.CONVERSION_FAILED}
    assert "Traceback" not in clip.failure and len(clip.failure) < 40
    assert original.exists() and clip.original_key is not None
    assert clip.web_key is None and clip.poster_key is None
    assert {p for p in media.rglob("*") if p.is_file()} == before  # nothing half-published
    assert [e.payload()["failure"] for e in events("clip_failed", clip)] == [clip.failure]

    original.write_bytes(videos["landscape"].read_bytes())  # fixed (say, by an admin)
    processing.retry(db.session, clip, actor=circle.coach)
    db.session.commit()
    assert clip.state is ClipState.UPLOADED
    cutting.enqueue(clip)  # the queue runs inline in tests

    db.session.refresh(clip)
    assert clip.state is ClipState.READY and clip.attempts == 2
    assert not original.exists()
    assert len(events("clip_retried", clip)) == 1


def test_ffmpeg_failing_half_way_leaves_no_output_and_keeps_the_original(
    app, app_ctx, upload, videos, monkeypatch
):
    def broken_args(*args: Any, **kwargs: Any) -> list[str]:
        return ["-i", str(videos["landscape"]), "-c:v", "no-such-codec", str(args[1])]

    posters: list[str] = []
    publish = processing.Work.publish_poster

    def spy(self: processing.Work, jpeg: Path) -> None:
        publish(self, jpeg)
        posters.append(self.poster_key)

    monkeypatch.setattr(transcode, "web_args", broken_args)
    monkeypatch.setattr(processing.Work, "publish_poster", spy)
    clip = upload(videos["landscape"])

    conversion.convert(clip.id)

    db.session.refresh(clip)
    assert (clip.state, clip.failure) == (ClipState.FAILED, transcode.CONVERSION_FAILED)
    # The poster was shown while converting; a failed clip keeps no half of a result.
    assert len(posters) == 1 and not storage.path_of(posters[0]).exists()
    assert clip.poster_key is None and clip.web_key is None
    assert storage.path_of(clip.original_key).exists()
    scratch = Path(app.config["MEDIA_ROOT"]) / ".work"
    assert not list(scratch.glob(f"clip-{clip.id}-*"))


def test_a_full_disk_fails_with_its_own_code(app_ctx, upload, videos, monkeypatch):
    def full(*args: Any, **kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage, "store_stream", full)
    clip = upload(videos["landscape"])

    conversion.convert(clip.id)

    db.session.refresh(clip)
    assert (clip.state, clip.failure) == (ClipState.FAILED, transcode.DISK_FULL)
    assert storage.path_of(clip.original_key).exists()


def test_a_clip_is_processed_once_however_often_it_is_queued(app_ctx, upload, videos):
    clip = upload(videos["silent"])
    assert conversion.convert(clip.id) is ClipState.READY
    assert conversion.convert(clip.id) is None
    db.session.refresh(clip)
    assert clip.attempts == 1


def test_a_ready_clip_cannot_be_retried(app_ctx, upload, videos, circle):
    clip = upload(videos["silent"])
    conversion.convert(clip.id)
    from app.core.errors import RefusedError

    with force_locale("en"), pytest.raises(RefusedError, match="nothing to try again"):
        processing.retry(db.session, clip, actor=circle.coach)


def test_a_recording_whose_original_is_gone_fails_and_cannot_be_retried(
    app_ctx, upload, videos, circle
):
    from app.core.errors import RefusedError

    clip = upload(videos["landscape"])
    storage.delete(clip.original_key)

    conversion.convert(clip.id)

    db.session.refresh(clip)
    assert (clip.state, clip.failure) == (ClipState.FAILED, processing.ORIGINAL_MISSING)
    with force_locale("en"), pytest.raises(RefusedError, match="upload the video again"):
        processing.retry(db.session, clip, actor=circle.coach)
