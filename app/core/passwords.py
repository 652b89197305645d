"""The password rules: what makes a password too weak to accept.

They live in the core so that forms (in the core) and accounts (in auth) share one rule without
the core importing a feature. Hashing and checking stay with the accounts in app.auth.services.
"""

from __future__ import annotations

from functools import cache

from zxcvbn.frequency_lists import FREQUENCY_LISTS

PASSWORD_MIN = 8
PASSWORD_MAX = 128

# Dutch favourites that the English-language list does not hold.
_DUTCH_COMMON = {
    "wachtwoord", "wachtwoord1", "wachtwoord123", "welkom01", "welkom123", "welkom2024",
    "welkom2025", "welkom2026", "geheim123", "voetbal1", "voetbal123", "ajax1900", "feyenoord",
    "zomer2025", "zomer2026", "winter2025", "lente2026", "herfst2026", "beeldbrug", "beeldbrug1",
    "school123", "schoolwachtwoord", "qwertyuiop", "azertyuiop", "1234567890",
}  # fmt: skip


@cache
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"]) | _DUTCH_COMMON


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why ``password`` is refused, as a message key, or None when it is fine. Raises nothing.

    The rules follow current guidance: length 8 to 128, no composition rules, and refuse
    passwords that are common or built from the person's own e-mail address or name.
    Keys: ``too_short``, ``too_long``, ``common``, ``personal``.
    """
    if len(password) < PASSWORD_MIN:
        return "too_short"
    if len(password) > PASSWORD_MAX:
        return "too_long"
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(lowered)) < 3:
        return "common"
    address = email.strip().lower()
    own = {address, address.split("@")[0], name.strip().lower()}
    if lowered in {o for o in own if o} or lowered.replace(" ", "") in own:
        return "personal"
    return None
