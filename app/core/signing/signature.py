"""The signature itself: drawn (a cleaned PNG), typed (the full name), or confirmed while signed
in; and the SHA-256 of the text a signer saw."""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from app.core.errors import RefusedError
from app.core.i18n import lazy_gettext as _l

SIGNATURE_MAX_BYTES = 400_000
SIGNATURE_MAX_SIDE = 2400
DATA_URI_PREFIX = "data:image/png;base64,"
#: The body of a signing form: the drawing as base64 (4/3 of its bytes), the fields around it.
SIGNING_BODY_MAX = 1024 * 1024

NO_DRAWING = _l("Draw your signature in the box, or choose to type it.")


class SignatureMethod(enum.StrEnum):
    DRAWN = "drawn"  # drawn with finger, pen or mouse
    TYPED = "typed"  # the full name typed as signature (keyboard alternative)
    CONFIRMED = "confirmed"  # confirmed with a button while signed in (a withdrawal, say)


@dataclass(frozen=True)
class Signature:
    """How someone signed; ``png`` holds the drawing of a drawn signature."""

    method: SignatureMethod
    png: bytes | None = None


def sha256_text(text: str) -> str:
    """The SHA-256 (hex) of a text as UTF-8: what a record stores of the text shown."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def clean_signature_png(data: bytes) -> bytes:
    """Check a drawn signature and re-encode it as a plain PNG (no metadata kept).

    Raises RefusedError (field ``signature``) when it is not a PNG, is too large, or is empty
    (nothing drawn).
    """
    if not data or len(data) > SIGNATURE_MAX_BYTES or not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise RefusedError(NO_DRAWING, field="signature")
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if max(opened.size) > SIGNATURE_MAX_SIDE:
                raise RefusedError(NO_DRAWING, field="signature")
            image = opened.convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise RefusedError(NO_DRAWING, field="signature") from exc
    if image.getchannel("A").getbbox() is None:
        raise RefusedError(NO_DRAWING, field="signature")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def signature_from_form(typed: bool, data_uri: str | None) -> Signature:
    """The signature a form sent: typed, or the drawing in its PNG data URI.

    A drawing that cannot be decoded becomes an empty one, which :func:`clean_signature_png`
    refuses with a message; this function raises nothing.
    """
    if typed:
        return Signature(SignatureMethod.TYPED)
    try:
        png = base64.b64decode((data_uri or "").split(",", 1)[1], validate=True)
    except (binascii.Error, IndexError, ValueError):
        png = b""
    return Signature(SignatureMethod.DRAWN, png)


def clean(signature: Signature) -> Signature:
    """``signature`` ready to store: a drawing cleaned, other kinds without an image.

    Raises RefusedError for a drawing :func:`clean_signature_png` refuses.
    """
    if signature.method is SignatureMethod.DRAWN:
        return Signature(SignatureMethod.DRAWN, clean_signature_png(signature.png or b""))
    return Signature(signature.method)


def png_data_uri(png: bytes | None) -> str | None:
    """A drawn signature as a data URI for a print layout, or None."""
    return DATA_URI_PREFIX + base64.b64encode(png).decode() if png else None
