"""What a one-line value may hold: the rule the forms check, mail applies and a migration used.

Line breaks, NUL, escape and the other control characters, and Unicode's line and paragraph
separators: in a name they cut mail subjects and headers, split log lines and break PDFs. The
forms refuse them (``app.core.forms.OneLine``); :func:`single_line` mends a value that holds
them anyway (a subject built from a name, a name stored before the forms refused them).

Standard library only: a migration imports this module, so it must not pull in the app.
"""

from __future__ import annotations

import unicodedata

#: Unicode categories no one-line value may hold: control characters (Cc, which include the
#: tab, CR and LF), the line separator (Zl) and the paragraph separator (Zp).
CONTROL_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})


def is_control(character: str) -> bool:
    """True for a control character, line break or Unicode line or paragraph separator."""
    return unicodedata.category(character) in CONTROL_CATEGORIES


def has_control_characters(text: str, *, allowed: frozenset[str] = frozenset()) -> bool:
    """True when ``text`` holds a control character other than those in ``allowed``."""
    return any(c not in allowed and is_control(c) for c in text)


def single_line(text: str) -> str:
    """``text`` on one line: every run of whitespace and control characters becomes one space,
    and the ends are stripped. Applying it twice changes nothing; it never lengthens a value.

    >>> single_line(" Noah\\r\\n\\tBakker\\u2028 ")
    'Noah Bakker'
    """
    spaced = "".join(" " if is_control(c) else c for c in text)
    # str.split() without an argument splits on runs of any Unicode whitespace.
    return " ".join(spaced.split())
