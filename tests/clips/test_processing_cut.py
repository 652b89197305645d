"""The cut of a fragment: stream copy near a keyframe, re-encoding elsewhere, and failures.

The recording is ``make_clip``'s ready clip: a 6-second web version with a keyframe every
2 seconds, as processing makes them.
"""

from __future__ import annotations

from typing import Any

import av
import pytest
from flask_babel import force_locale

from app.circle.audience import Audience
from app.clips.models import Clip, ClipState
from app.clips.services import cutting, processing, transcode
from app.core import storage
from app.core.db import db
from app.core.errors import RefusedError
from tests.support.footage import assert_no_metadata, keyframe_times, top_level_boxes


@pytest.fixture
def recording(make_clip: Any, circle: Any) -> Clip:
    return make_clip(circle.child, circle.coach, title="Kring, hele opname")


def fragment_of(recording: Clip, start: float, end: float) -> Clip:
    """The row the player's fragment service makes: UPLOADED, in and out points."""
    fragment = Clip(
        child_id=recording.child_id,
        parent_id=recording.id,
        source=recording.source,
        uploader_id=recording.uploader_id,
        title="Beurt nemen",
        audience=Audience.CIRCLE,
        start_s=start,
        end_s=end,
        state=ClipState.UPLOADED,
    )
    db.session.add(fragment)
    db.session.commit()
    return fragment


@pytest.fixture
def ways(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Which way each cut was made: "copy" or "encode"."""
    used: list[str] = []
    copy, encode = transcode.copy_span, transcode.encode

    def copy_spy(*args: Any, **kwargs: Any) -> None:
        used.append("copy")
        copy(*args, **kwargs)

    def encode_spy(*args: Any, **kwargs: Any) -> None:
        used.append("encode")
        encode(*args, **kwargs)

    monkeypatch.setattr(transcode, "copy_span", copy_spy)
    monkeypatch.setattr(transcode, "encode", encode_spy)
    return used


def duration_of(clip: Clip) -> float:
    with av.open(str(storage.path_of(clip.web_key))) as container:
        return container.duration / 1_000_000


def test_an_in_point_near_a_keyframe_is_cut_by_stream_copy(app_ctx, recording, ways):
    fragment = fragment_of(recording, 2.08, 5.0)

    cutting.cut_fragment(fragment.id)  # the queue runs inline in tests

    db.session.refresh(fragment)
    assert ways == ["copy"]
    assert fragment.state is ClipState.READY and fragment.progress == 100
    # It starts at the keyframe at 2 s, 0.08 s before the in-point, and ends at the out-point.
    assert fragment.duration_s == pytest.approx(3.0, abs=0.1)
    web = storage.path_of(fragment.web_key)
    assert keyframe_times(web)[0] == pytest.approx(0.0, abs=0.05)
    assert top_level_boxes(web).index("moov") < top_level_boxes(web).index("mdat")
    assert_no_metadata(web)
    assert storage.path_of(fragment.poster_key).read_bytes()[:3] == b"\xff\xd8\xff"
    # The recording is untouched.
    assert storage.path_of(recording.web_key).exists()
    assert db.session.get(Clip, recording.id).state is ClipState.READY


def test_an_in_point_between_keyframes_is_re_encoded_exactly(app_ctx, recording, ways):
    fragment = fragment_of(recording, 3.0, 5.5)

    assert cutting.cut(fragment.id) is ClipState.READY

    db.session.refresh(fragment)
    assert ways == ["encode"]
    assert fragment.duration_s == pytest.approx(2.5, abs=0.1)
    web = storage.path_of(fragment.web_key)
    with av.open(str(web)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert [a.codec_context.name for a in container.streams.audio] == ["aac"]
    assert keyframe_times(web) == [0.0, pytest.approx(2.0, abs=0.1)]
    assert_no_metadata(web)
    assert fragment.poster_key is not None


@pytest.mark.parametrize(
    ("start", "expected"),
    [(2.0, 2.0), (2.15, 2.0), (1.86, 2.0), (2.2, None), (3.0, None), (0.1, 0.0)],
)
def test_which_in_points_are_close_enough_to_a_keyframe(start, expected):
    assert cutting.copy_point([0.0, 2.0, 4.0], start) == expected


def test_a_fragment_of_a_recording_that_is_gone_fails_and_is_not_retried(
    app_ctx, recording, circle
):
    fragment = fragment_of(recording, 1.0, 4.0)
    storage.delete(recording.web_key)

    assert cutting.cut(fragment.id) is ClipState.FAILED

    db.session.refresh(fragment)
    assert (fragment.state, fragment.failure) == (ClipState.FAILED, processing.SOURCE_NOT_READY)
    assert fragment.web_key is None and fragment.poster_key is None
    with force_locale("en"), pytest.raises(RefusedError, match="cannot be watched"):
        processing.retry(db.session, fragment, actor=circle.coach)


def test_a_failed_cut_is_retried_as_a_cut(app_ctx, recording, circle, monkeypatch):
    fragment = fragment_of(recording, 1.0, 4.0)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise transcode.MediaError(transcode.CONVERSION_FAILED, "exit 1")

    with monkeypatch.context() as patch:
        patch.setattr(transcode, "encode", broken)
        assert cutting.cut(fragment.id) is ClipState.FAILED

    processing.retry(db.session, fragment, actor=circle.coach)
    db.session.commit()
    cutting.enqueue(fragment)

    db.session.refresh(fragment)
    assert fragment.state is ClipState.READY and fragment.attempts == 2
    assert fragment.duration_s == pytest.approx(3.0, abs=0.1)
