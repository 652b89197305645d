"""Fixtures for footage, a pytest plugin (the root conftest registers it): tiny synthetic
videos made with ffmpeg's test sources, and ready clips.

Footage in tests is always synthetic (``testsrc2`` pictures and a sine tone), never people.
Videos are made once per session in a temporary folder and copied where a test needs them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app.circle.audience import Audience
from app.circle.models import Child, User
from app.clips.models import Clip, ClipState, Source
from app.core import storage
from app.core.db import db, utcnow
from tests.support.footage import ffmpeg, make_video


@pytest.fixture(scope="session")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny real videos of every kind a phone or camera sends, and files that only pretend."""
    folder = tmp_path_factory.mktemp("videos")
    made = {
        "landscape": make_video(folder / "landscape.mp4"),
        "portrait": make_video(folder / "portrait.mp4", size="320x240", rotate=90),
        "hevc": make_video(folder / "iphone.mov", codec="libx265"),
        "vfr": make_video(folder / "android-vfr.mp4", vfr=True),
        "silent": make_video(folder / "silent.mp4", audio=False),
        "long": make_video(folder / "long.mp4", seconds=12, size="320x180"),
    }
    audio_only = folder / "audio-only.m4a"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", "aac", str(audio_only))
    made["audio_only"] = audio_only
    html = folder / "page.mp4"
    html.write_text("<!doctype html><title>not a video</title><p>Hallo</p>")
    made["html"] = html
    empty = folder / "empty.mp4"
    empty.write_bytes(b"")
    made["empty"] = empty
    truncated = folder / "truncated.mp4"
    truncated.write_bytes(made["landscape"].read_bytes()[:4000])
    made["truncated"] = truncated
    return made


@pytest.fixture(scope="session")
def web_video(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A small web version as the worker makes it: H.264/AAC MP4, fast start, 2 s keyframes."""
    path = tmp_path_factory.mktemp("web") / "web.mp4"
    make_video(
        path,
        seconds=6,
        extra=("-g", "50", "-sc_threshold", "0", "-movflags", "+faststart", "-map_metadata", "-1"),
    )
    return path.read_bytes()


@pytest.fixture(scope="session")
def poster_jpeg(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("poster") / "poster.jpg"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240", "-frames:v", "1", str(path))
    return path.read_bytes()


@pytest.fixture
def make_clip(app: Any, web_video: bytes, poster_jpeg: bytes) -> Callable[..., Clip]:
    """Make a clip that is ready to watch, with a real web version and poster in storage."""

    def make(
        child: Child,
        uploader: User | None,
        *,
        source: Source = Source.SCHOOL,
        audience: Audience = Audience.TEAM,
        title: str = "Kring in de ochtend",
        state: ClipState = ClipState.READY,
        shows_others: bool = False,
        parent: Clip | None = None,
        **values: Any,
    ) -> Clip:
        # The app's storage, reached without an app context (whose teardown would end the
        # test's session).
        files = storage.LocalStorage(Path(app.config["MEDIA_ROOT"]))
        web = files.store_bytes(web_video, folder="clips/web", suffix=".mp4")
        poster = files.store_bytes(poster_jpeg, folder="clips/posters", suffix=".jpg")
        clip = Clip(
            child_id=child.id,
            parent_id=parent.id if parent is not None else None,
            source=source,
            uploader_id=uploader.id if uploader is not None else None,
            title=title,
            recorded_on=date(2026, 10, 5),
            audience=audience,
            shows_others=shows_others,
            state=state,
            progress=100 if state is ClipState.READY else 0,
            web_key=web.key if state is ClipState.READY else None,
            web_size=web.size if state is ClipState.READY else None,
            web_sha256=web.sha256 if state is ClipState.READY else None,
            poster_key=poster.key,
            duration_s=6.0,
            width=320,
            height=240,
            ready_at=utcnow() if state is ClipState.READY else None,
            **values,
        )
        db.session.add(clip)
        db.session.commit()
        return clip

    return make
