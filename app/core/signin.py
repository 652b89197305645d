"""How a person signed in: kept with their server-side session and printed on every evidence
page of what they signed."""

from __future__ import annotations

import enum


class SignInMethod(enum.StrEnum):
    PASSWORD = "password"  # noqa: S105 - the name of a sign-in method
    INVITATION = "invitation"  # a new account made by accepting an e-mailed invitation
    RESET = "reset"
