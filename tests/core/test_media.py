"""The one reader of a video's length: the stream's own, else the container's."""

from __future__ import annotations

from fractions import Fraction
from types import SimpleNamespace

import av
import pytest

from app.core.media import duration_of


def stream(duration, time_base=Fraction(1, 1000)):
    return SimpleNamespace(duration=duration, time_base=time_base)


def container(duration):
    return SimpleNamespace(duration=duration)


@pytest.mark.parametrize(
    ("box", "video", "seconds"),
    [
        (container(7 * av.time_base), stream(6000), 6.0),  # a longer sound track does not count
        (container(7 * av.time_base), stream(None), 7.0),
        (container(7 * av.time_base), stream(0), 7.0),
        (container(7 * av.time_base), stream(6000, time_base=None), 7.0),
        (container(None), stream(None), None),
        (container(0), stream(0), None),
    ],
)
def test_the_length_of_a_video(box, video, seconds):
    assert duration_of(box, video) == seconds
