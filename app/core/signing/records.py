"""Signed records: the columns every signature keeps, and storing one exactly once. The guard
that keeps a signed record from being changed is :mod:`app.core.immutable`'s, named here too
because every signed record uses it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import ForeignKey, LargeBinary, String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from app.core.db import DbSession, UTCDateTime, enum_column, utcnow
from app.core.errors import RefusedError
from app.core.i18n import lazy_gettext as _l
from app.core.immutable import Immutable, ImmutableRecordError
from app.core.signin import SignInMethod
from app.core.signing.signature import Signature, SignatureMethod, clean, sha256_text

__all__ = [
    "AlreadyStoredError",
    "Immutable",
    "ImmutableRecordError",
    "SignedRecordMixin",
    "Signer",
    "signed_fields",
    "store_once",
]

if TYPE_CHECKING:
    from app.core.signing.evidence import Evidence
    from app.core.signing.forms import OpenedForm


class Signer(Protocol):
    """The account that signs: the circle's ``User`` (machinery does not import the circle)."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...


class SignedRecordMixin:
    """The columns of a signature and its evidence (SECURITY.md G.31), for any signed record.

    The feature's model adds what is signed and about whom, and the ``signer`` relationship to
    the account (``relationship()`` to the circle's ``User``); fill these columns with
    :func:`signed_fields`.
    """

    @declared_attr
    def signer_id(cls) -> Mapped[int | None]:  # noqa: N805 - declared_attr receives the class
        # The account stays named in the PDF and the audit log even when it is deleted later.
        return mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)

    if TYPE_CHECKING:
        # The model declares the relationship to the circle's ``User`` itself:
        # ``signer: Mapped[User | None] = relationship()``.
        @property
        def signer(self) -> Signer | None: ...

    # The exact text (or a canonical description of the document) the signer saw, and its hash.
    text_shown: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    # The name as the signer typed it; the account holder is ``signer``.
    typed_name: Mapped[str] = mapped_column(String(120))
    signature_method: Mapped[SignatureMethod] = mapped_column(enum_column(SignatureMethod))
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ip_address: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(300))
    sign_in_method: Mapped[SignInMethod] = mapped_column(enum_column(SignInMethod))
    # One submission of a signing form makes at most one record (double submits).
    form_nonce: Mapped[str] = mapped_column(String(64), unique=True)

    @property
    def signer_name(self) -> str:
        """The account holder's name (not the typed one); the typed name once the account is
        gone."""
        signer = self.signer
        return signer.name if signer is not None else self.typed_name

    @property
    def typed_differs(self) -> bool:
        """True when the typed name is not the account holder's name (shown beside it)."""
        signer = self.signer
        return signer is not None and " ".join(self.typed_name.split()).casefold() != (
            " ".join(signer.name.split()).casefold()
        )


def signed_fields(
    signer: Signer,
    *,
    shown: str,
    typed_name: str,
    signature: Signature,
    opened: OpenedForm,
    evidence: Evidence,
) -> dict[str, Any]:
    """The :class:`SignedRecordMixin` columns for a new record, to pass to its constructor.

    A drawn signature is cleaned here. Raises RefusedError when the drawing is not a usable
    PNG, or (field ``typed_name``) when the typed name is empty.
    """
    name = " ".join(typed_name.split())
    if not name:
        raise RefusedError(_l("Type your full name."), field="typed_name")
    signature = clean(signature)
    return {
        "signer_id": signer.id,
        "text_shown": shown,
        "text_sha256": sha256_text(shown),
        "typed_name": name[:120],
        "signature_method": signature.method,
        "signature_png": signature.png,
        "opened_at": opened.opened_at,
        "signed_at": utcnow(),
        "ip_address": evidence.ip_address[:64],
        "user_agent": evidence.user_agent[:300],
        "sign_in_method": evidence.sign_in_method,
        "form_nonce": opened.nonce,
    }


class AlreadyStoredError(RefusedError):
    """This form was already submitted and stored: nothing new was stored."""


def store_once(session: DbSession, record: SignedRecordMixin, *, message: Any) -> None:
    """Add and flush ``record`` unless a record with its form nonce exists already.

    Raises :class:`AlreadyStoredError` (field ``nonce``, with ``message``) for a repeated
    submission, also when two submissions race each other; the session stays usable.
    """
    model = type(record)
    if session.scalar(select(model.id).where(model.form_nonce == record.form_nonce)):  # type: ignore[attr-defined]
        raise AlreadyStoredError(message, field="nonce")
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError as exc:  # a double submit that raced the check above
        raise AlreadyStoredError(message, field="nonce") from exc
