"""How a person signed in: kept with their server-side session and printed on every evidence
page of what they signed."""

from __future__ import annotations

import enum


class SignInMethod(enum.StrEnum):
    PASSWORD = "password"  # noqa: S105 - the name of a sign-in method
    INVITATION = "invitation"  # a new account made by accepting an e-mailed invitation
    RESET = "reset"
    # With a second factor after the password (SECURITY A.6).
    PASSWORD_TOTP = "password_totp"  # noqa: S105 - the name of a sign-in method
    PASSWORD_RECOVERY = "password_recovery"  # noqa: S105 - the name of a sign-in method
    PASSWORD_PASSKEY = "password_passkey"  # noqa: S105 - the name of a sign-in method
    # A passkey alone, where the school allows it: possession of the device and its own check
    # of the person (PIN, fingerprint, face) are two factors in one.
    PASSKEY = "passkey"


#: Sign-ins that proved a second factor: a school that requires one accepts only these.
SECOND_FACTOR_METHODS = frozenset(
    {
        SignInMethod.PASSWORD_TOTP,
        SignInMethod.PASSWORD_RECOVERY,
        SignInMethod.PASSWORD_PASSKEY,
        SignInMethod.PASSKEY,
    }
)
