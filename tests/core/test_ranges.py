"""Range requests capped to a few seconds of video (issue 15 item 7): which Range a capped
answer carries, checked against werkzeug's own reading of the header."""

from __future__ import annotations

import pytest

from app.core.ranges import bytes_for_seconds, capped_range

SIZE = 10_000


@pytest.mark.parametrize(
    ("asked", "answered"),
    [
        (None, None),  # a whole-file request stays one
        ("", None),
        ("bytes=0-99", None),  # within the cap: as asked
        ("bytes=9000-9999", None),
        ("bytes=0-", "bytes=0-999"),  # open-ended: the first 1,000 bytes
        ("bytes=4000-", "bytes=4000-4999"),
        ("bytes=9500-", None),  # open-ended, but only 500 bytes left
        ("bytes=0-5000", "bytes=0-999"),  # a closed range over the cap
        ("bytes=-5000", "bytes=5000-5999"),  # a long suffix
        ("bytes=-500", None),
        ("bytes=0-9,100-199", "bytes=0-9"),  # several ranges: the first alone
        ("bytes=20000-", None),  # unsatisfiable: the 416 stays
        ("pages=1-2", None),  # malformed: ignored, as HTTP says
    ],
)
def test_a_range_is_cut_to_the_cap(asked, answered):
    assert capped_range(asked, SIZE, 1000) == answered


def test_a_cap_below_one_byte_is_refused():
    with pytest.raises(ValueError, match="at least one byte"):
        capped_range("bytes=0-", SIZE, 0)


def test_the_cap_follows_the_bitrate_with_a_floor():
    # 8 MB over 32 s is 250 kB a second: 4 s are 1 MB.
    assert bytes_for_seconds(8_000_000, 32.0, 4, floor=1000) == 1_000_000
    assert bytes_for_seconds(8_000, 32.0, 4, floor=1000) == 1000
    assert bytes_for_seconds(8_000_000, None, 4, floor=1000) == 1000
    assert bytes_for_seconds(8_000_000, 0.0, 4, floor=0) == 1
