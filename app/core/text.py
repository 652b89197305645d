"""What a one-line value may hold: the rule the forms check, mail applies and a migration used.

Line breaks, NUL, escape and the other control characters, and Unicode's line and paragraph
separators: in a name they cut mail subjects and headers, split log lines and break PDFs. The
marks that override or isolate the direction of text (U+202A-U+202E, U+2066-U+2069) make a
name show as something else ("Peter", U+202E, "Bakker" reads "PeterrekaB"). Zero-width spaces
(U+200B, the word joiner U+2060, the byte-order mark U+FEFF) make two names that look the same
differ ("Noah" and "No\u200bah"). The joiners U+200C and U+200D stay: Persian, the Indic scripts
and emoji need them. The forms refuse
them all (``app.core.forms.OneLine``), and so does every other way a one-line value comes in
(a tus upload's title); :func:`single_line` mends a value that holds them anyway (a subject
built from a name, a name stored before the forms refused them), and
:func:`without_control_characters` drops them from a value nobody typed (a file's name).

Standard library only: a migration imports this module, so it must not pull in the app.
"""

from __future__ import annotations

import unicodedata

#: Unicode categories no one-line value may hold: control characters (Cc, which include the
#: tab, CR and LF), the line separator (Zl) and the paragraph separator (Zp).
CONTROL_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})
#: Embeddings, overrides and isolates of the text direction. Marks that only state a direction
#: (U+200E, U+200F) and the joiners some scripts and emoji need stay allowed.
DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: Characters of no width that join or split nothing a script needs: the zero-width space, the
#: word joiner and the byte-order mark (a zero-width no-break space inside text).
ZERO_WIDTH = frozenset("\u200b\u2060\ufeff")
#: Dropped without a trace when a value is mended: they stand for no space either.
_DROPPED = DIRECTION_CONTROLS | ZERO_WIDTH


def is_control(character: str) -> bool:
    """True for a control character, line break, Unicode line or paragraph separator, a
    direction override or a zero-width space."""
    return unicodedata.category(character) in CONTROL_CATEGORIES or character in _DROPPED


def has_control_characters(text: str, *, allowed: frozenset[str] = frozenset()) -> bool:
    """True when ``text`` holds a control character other than those in ``allowed``."""
    return any(c not in allowed and is_control(c) for c in text)


def single_line(text: str) -> str:
    """``text`` on one line: direction overrides and zero-width spaces are dropped, every run
    of whitespace and other control characters becomes one space, and the ends are stripped.
    Applying it twice changes nothing; it never lengthens a value.

    >>> single_line(" Noah\\r\\n\\tBakker\\u2028 ")
    'Noah Bakker'
    """
    kept = (c for c in text if c not in _DROPPED)
    spaced = "".join(" " if is_control(c) else c for c in kept)
    # str.split() without an argument splits on runs of any Unicode whitespace.
    return " ".join(spaced.split())


def without_control_characters(text: str) -> str:
    """``text`` with every character :func:`is_control` names removed (nothing put in their
    place): for a value nobody typed and nobody can be asked to mend, such as the name a
    device gave a file.

    >>> without_control_characters("pass\\x00wd\\u202egpj.mp4")
    'passwdgpj.mp4'
    """
    return "".join(c for c in text if not is_control(c))
