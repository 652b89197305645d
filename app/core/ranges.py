"""How much of a file one answer may carry: range requests capped to a few seconds of video.

A player asks for a video with an open-ended range (``bytes=0-``, ``bytes=N-``) and reads on
for as long as it likes. Answered in full, that one response carries the whole clip, and a
withdrawal or a removal from the circle, which stops a video at its *next* range request,
comes after everything was already on the device. Capped, the answer is a partial ``206``
whose ``Content-Range`` still names the whole size, and players follow it with the next range,
each one checked again.
"""

from __future__ import annotations

from werkzeug.http import parse_range_header


def capped_range(header: str | None, size: int, most: int) -> str | None:
    """The Range header to answer instead of ``header`` so at most ``most`` bytes go out.

    Returns None when ``header`` may be answered as it is: no Range header (a whole-file
    request stays a whole file), a malformed one (HTTP says to ignore it), a range that is
    not satisfiable (the ``416`` stays the sender's), or a single range of at most ``most``
    bytes. Otherwise a ``bytes=start-end`` header: the first range asked, cut to ``most``
    bytes (several ranges are answered by their first alone). Raises ValueError for a cap
    below one byte.
    """
    if most < 1:
        raise ValueError("a range cap must be at least one byte")
    if not header or size <= 0:
        return None
    asked = parse_range_header(header)
    if asked is None or not asked.ranges:
        return None
    first = asked.ranges[0]
    start, stop = first
    if start < 0:  # a suffix range: the last -start bytes
        start, stop = max(0, size + start), size
    elif stop is None or stop > size:
        stop = size
    if start >= size:
        return None
    if len(asked.ranges) == 1 and stop - start <= most:
        return None
    return f"bytes={start}-{min(stop, start + most) - 1}"


def bytes_for_seconds(size: int, duration_s: float | None, seconds: float, floor: int) -> int:
    """About ``seconds`` of a file of ``size`` bytes lasting ``duration_s``, never under
    ``floor`` bytes (nor under one byte). Without a known duration: ``floor``."""
    floor = max(1, floor)
    if not duration_s or duration_s <= 0 or size <= 0:
        return floor
    return max(floor, int(size / duration_s * seconds))
