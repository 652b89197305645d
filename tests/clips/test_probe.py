"""The content check: what phones send passes, what only pretends to be a video does not."""

from __future__ import annotations

import pytest

from app.clips import probe
from app.clips.services import transcode
from tests.support.footage import make_video


@pytest.mark.parametrize(
    ("kind", "codec", "size", "rotation", "audio"),
    [
        ("landscape", "h264", (320, 240), 0, True),
        ("portrait", "h264", (240, 320), 90, True),
        ("hevc", "hevc", (320, 240), 0, True),
        ("silent", "h264", (320, 240), 0, False),
    ],
)
def test_phone_footage_is_described(videos, kind, codec, size, rotation, audio):
    info = probe.probe(videos[kind])
    assert info.video_codec == codec
    assert info.display_size == size
    assert abs(info.rotation) == rotation
    assert info.has_audio is audio
    assert info.duration_s == pytest.approx(3.0, abs=0.1)
    assert info.frame_rate == pytest.approx(25)


@pytest.mark.parametrize("kind", ["landscape", "portrait", "silent", "long"])
def test_the_upload_check_and_processing_measure_a_video_alike(videos, kind):
    assert probe.probe(videos[kind]).duration_s == pytest.approx(
        transcode.facts(videos[kind]).duration_s, abs=0.001
    )


def test_variable_frame_rate_passes(videos):
    info = probe.probe(videos["vfr"])
    assert info.duration_s > 1 and info.frame_rate is not None


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("html", probe.NOT_A_VIDEO),
        ("empty", probe.EMPTY),
        ("truncated", probe.TRUNCATED),
        ("audio_only", probe.NO_VIDEO),
    ],
)
def test_what_is_no_whole_video_is_refused_with_its_reason(videos, kind, code):
    with pytest.raises(probe.NotAVideoError) as refused:
        probe.probe(videos[kind])
    assert refused.value.code == code


def test_a_video_cut_off_halfway_is_truncated_even_with_its_index_in_front(videos, tmp_path):
    # Fast start puts the index first: the file opens and says 6 s, but the pictures stop.
    whole = make_video(tmp_path / "whole.mp4", seconds=6, extra=("-movflags", "+faststart"))
    cut = tmp_path / "cut.mp4"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    assert probe.probe(whole).duration_s == pytest.approx(6, abs=0.1)
    with pytest.raises(probe.NotAVideoError) as refused:
        probe.probe(cut)
    assert refused.value.code == probe.TRUNCATED


def test_text_that_happens_to_start_like_a_movie_is_not_a_video(tmp_path):
    fake = tmp_path / "fake.mp4"
    fake.write_bytes(b"hello world, this is only text\n" * 10)
    with pytest.raises(probe.NotAVideoError) as refused:
        probe.probe(fake)
    assert refused.value.code == probe.NOT_A_VIDEO


def test_every_refusal_has_a_sentence(app):
    with app.test_request_context():
        for code in (probe.EMPTY, probe.NOT_A_VIDEO, probe.NO_VIDEO, probe.TRUNCATED):
            assert len(str(probe.message_for(code))) > 20
