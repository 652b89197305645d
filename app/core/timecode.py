"""Times in a video as people read and type them: ``1:15``, ``0:10,2`` in Dutch, ``0:10.2`` in
English, ``1:02:05``.

Machinery with no knowledge of clips: a moment, a fragment's in and out points, an agenda
item's fragment or a WebVTT export all show times this way. The player's script
(``static/js``) writes times with the same mark, read from the page (``clip_decimal_mark``).
"""

from __future__ import annotations

import re

from babel.numbers import get_decimal_symbol

from app.core.i18n import locale

# 75, 75.5, 75,5 (either mark in either language: people type what they are used to), 1:15,
# 1:15.5, 0:01:15 — at most hours:minutes:seconds.
_TIME_RE = re.compile(r"^(?:(\d{1,2}):)?(?:(\d{1,3}):)?(\d{1,5}(?:[.,]\d{1,3})?)$", re.ASCII)

#: The language whose decimal mark a time gets outside a request (a command, a job, a test
#: without the app): the interface's default.
_DEFAULT_LOCALE = "nl"


def parse_time(text: str) -> float:
    """Seconds from ``text`` as people type a moment in a video: ``75``, ``1:15``, ``1:15,5``,
    ``1:15.5`` or ``0:01:15``, with a decimal comma or point whatever the page's language.
    Raises ValueError for anything else (minutes or seconds of 60 and more after a colon
    included)."""
    match = _TIME_RE.match(text.strip())
    if match is None:
        raise ValueError(text)
    first, second, seconds_text = match.groups()
    seconds = float(seconds_text.replace(",", "."))
    if first is None:  # plain seconds
        return seconds
    if seconds >= 60:
        raise ValueError(text)
    if second is None:  # m:ss
        return int(first) * 60 + seconds
    if int(second) >= 60:
        raise ValueError(text)
    return int(first) * 3600 + int(second) * 60 + seconds


def decimal_mark() -> str:
    """The decimal mark of the page's language: "," in Dutch, "." in English. Only a mark
    :func:`parse_time` reads back; any other (no language we offer has one) becomes "."."""
    language = locale() or _DEFAULT_LOCALE
    # Remembered by the language's parts: a cache keyed by the Locale itself compares Locales
    # in Python, some twenty calls for each time a list of moments writes.
    key = (
        language
        if isinstance(language, str)
        else (language.language, language.territory, language.script, language.variant)
    )
    found = _MARKS.get(key)
    if found is None:
        mark = get_decimal_symbol(language)
        found = _MARKS[key] = mark if mark in {",", "."} else "."
    return found


_MARKS: dict[object, str] = {}


def format_time(seconds: float | None) -> str:
    """``m:ss`` (or ``h:mm:ss``), with tenths when the time has them, after the decimal mark
    of the page's language ("0:10,2" in Dutch, "0:10.2" in English): how a page shows and
    prefills a time, and what :func:`parse_time` reads back in either language."""
    if seconds is None:
        return ""
    tenths = round(seconds * 10)
    whole, tenth = divmod(tenths, 10)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
    return f"{text}{decimal_mark()}{tenth}" if tenth else text
