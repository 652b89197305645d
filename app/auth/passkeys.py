"""Passkeys (WebAuthn, through py_webauthn): registering one or more on an account, and using
one as the second factor, to confirm an act, or as the whole sign-in where the school allows.

The relying party is Beeldbrug's own address (``BASE_URL``, or ``WEBAUTHN_RP_ID`` and
``WEBAUTHN_ORIGIN``): a passkey made for another site, a wrong challenge or a counter that goes
back is refused. Challenges live in the caller's session (the views keep them in the signed
cookie, one at a time, for a few minutes); nothing here reads the request.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import exists, func, select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from app.auth import factors
from app.auth.models import Passkey
from app.circle.models import Child, Membership, School, User
from app.core import audit
from app.core.db import DbSession, utcnow

RP_NAME = "Beeldbrug"
NAME_MAX = 60
TIMEOUT_MS = 120_000


class PasskeyError(Exception):
    """A registration or an assertion that does not hold (wrong challenge, origin, site,
    signature or counter; malformed; unknown or not this account's passkey)."""


@dataclass(frozen=True)
class RelyingParty:
    rp_id: str
    origin: str


def relying_party() -> RelyingParty:
    """This installation as a WebAuthn relying party: its host name and its origin."""
    cfg = current_app.config
    base = urlsplit(cfg["BASE_URL"])
    origin = cfg.get("WEBAUTHN_ORIGIN") or f"{base.scheme}://{base.netloc}"
    return RelyingParty(rp_id=cfg.get("WEBAUTHN_RP_ID") or base.hostname or "", origin=origin)


def _user_handle(user: User) -> bytes:
    # Not the account id itself: the handle is stored on the device and handed to any page
    # of this site that asks.
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"passkey-user:{user.id}".encode(), hashlib.sha256).digest()


def passkeys_of(session: DbSession, user: User) -> list[Passkey]:
    return list(
        session.scalars(select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.id))
    )


def has_passkey(session: DbSession, user: User) -> bool:
    return bool(session.scalar(select(exists().where(Passkey.user_id == user.id))))


def passkey_of(session: DbSession, user: User, passkey_id: int) -> Passkey | None:
    """One of ``user``'s own passkeys by id (another account's gives None)."""
    return session.scalar(
        select(Passkey).where(Passkey.id == passkey_id, Passkey.user_id == user.id)
    )


# --- registering --------------------------------------------------------------------------------


def registration_options(session: DbSession, user: User) -> tuple[str, bytes]:
    """Options for ``navigator.credentials.create()`` (as JSON) and their challenge (to keep)."""
    rp = relying_party()
    options = generate_registration_options(
        rp_id=rp.rp_id,
        rp_name=RP_NAME,
        user_name=user.email,
        user_id=_user_handle(user),
        user_display_name=user.name,
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[_descriptor(p) for p in passkeys_of(session, user)],
    )
    return options_to_json(options), options.challenge


def register(
    session: DbSession, user: User, credential: Any, name: str, *, challenge: bytes
) -> Passkey:
    """Verify the browser's answer to :func:`registration_options` and store the passkey.

    Raises PasskeyError when it does not hold (wrong challenge, origin or site; a passkey that
    exists already)."""
    rp = relying_party()
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as problem:
        raise PasskeyError(str(problem)) from problem
    credential_id = bytes_to_base64url(verified.credential_id)
    if session.scalar(select(Passkey.id).where(Passkey.credential_id == credential_id)):
        raise PasskeyError("credential registered already")
    count = session.scalar(select(func.count(Passkey.id)).where(Passkey.user_id == user.id)) or 0
    row = Passkey(
        user_id=user.id,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        name=(name.strip() or f"Passkey {count + 1}")[:NAME_MAX],
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    audit.record(session, "passkey_added", actor=user, obj=row)
    return row


def rename(session: DbSession, row: Passkey, name: str, *, actor: User) -> None:
    row.name = name.strip()[:NAME_MAX]
    audit.record(session, "passkey_renamed", actor=actor, obj=row)


def remove(session: DbSession, row: Passkey, *, actor: User) -> None:
    """Remove a passkey; the recovery codes go too when no second factor is left. The
    caller has asked for the factor first."""
    user_id = row.user_id
    session.delete(row)
    session.flush()
    user = session.get(User, user_id)
    if user is not None and not factors.has_second_factor(session, user):
        factors.drop_recovery_codes(session, user)
    audit.record(session, "passkey_removed", actor=actor, obj=user_id)


def _descriptor(row: Passkey) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(id=base64url_to_bytes(row.credential_id))


# --- using one ----------------------------------------------------------------------------------


def authentication_options(session: DbSession, user: User | None) -> tuple[str, bytes]:
    """Options for ``navigator.credentials.get()`` and their challenge: for ``user``'s own
    passkeys, or (None) for any passkey of this site on the device, when it is the whole
    sign-in (then the device must check the person: PIN, fingerprint, face)."""
    rp = relying_party()
    options = generate_authentication_options(
        rp_id=rp.rp_id,
        timeout=TIMEOUT_MS,
        allow_credentials=[_descriptor(p) for p in passkeys_of(session, user)] if user else [],
        user_verification=(
            UserVerificationRequirement.PREFERRED if user else UserVerificationRequirement.REQUIRED
        ),
    )
    return options_to_json(options), options.challenge


def credential_owner(session: DbSession, credential: Any) -> Passkey | None:
    """The stored passkey an assertion names, or None (unknown or malformed)."""
    try:
        parsed = parse_authentication_credential_json(credential)
    except (WebAuthnException, ValueError, TypeError, KeyError):
        return None
    return session.scalar(
        select(Passkey).where(Passkey.credential_id == bytes_to_base64url(parsed.raw_id))
    )


def authenticate(
    session: DbSession, row: Passkey, credential: Any, *, challenge: bytes, whole: bool
) -> None:
    """Verify an assertion made with ``row``: challenge, origin, site, signature, and a
    counter that went forward (a counter of 0 on both sides means the device keeps none).
    ``whole``: the passkey is the whole sign-in, so the device must have checked the person.
    Raises PasskeyError; on success the counter and the time of use are stored."""
    rp = relying_party()
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
            credential_public_key=row.public_key,
            credential_current_sign_count=row.sign_count,
            require_user_verification=whole,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as problem:
        raise PasskeyError(str(problem)) from problem
    row.sign_count = verified.new_sign_count
    row.last_used_at = utcnow()


def passkey_sign_in_allowed(session: DbSession, user: User) -> bool:
    """Whether ``user`` may sign in with a passkey alone: their school allows it (staff), or
    the school of a child in whose circle they are (parents, pupils)."""
    if user.school is not None:
        return user.school.passkey_sign_in_allowed
    return bool(
        session.scalar(
            select(
                exists().where(
                    Membership.user_id == user.id,
                    Membership.active_until.is_(None) | (Membership.active_until > utcnow()),
                    Child.id == Membership.child_id,
                    School.id == Child.school_id,
                    School.passkey_sign_in_allowed.is_(True),
                )
            )
        )
    )


def any_school_allows_passkey_sign_in(session: DbSession) -> bool:
    """Whether the sign-in page offers "sign in with a passkey" at all."""
    return bool(session.scalar(select(exists().where(School.passkey_sign_in_allowed.is_(True)))))
