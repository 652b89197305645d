"""The signing form: its token (when it was opened, and a nonce) and its signature fields."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wtforms import BooleanField, Field, HiddenField, StringField
from wtforms.validators import ValidationError

from app.core.db import utcnow
from app.core.forms import PortalForm, max_length, one_line, required
from app.core.i18n import lazy_gettext as _l
from app.core.signing.signature import DATA_URI_PREFIX, NO_DRAWING, Signature, signature_from_form
from app.core.tokens import read_value, sign_value

#: How long a signing form stays valid after it was opened (seconds).
FORM_MAX_AGE = 6 * 3600


def _salt(kind: str) -> str:
    # One salt per kind of form: a withdrawal form's token never passes as a consent form's.
    return f"signed-form/{kind}"


@dataclass(frozen=True)
class OpenedForm:
    """What a signing form's token holds: when it was opened, its one-time nonce, and the
    values it was bound to."""

    opened_at: datetime
    nonce: str
    bound: dict[str, Any]


def open_form(kind: str, **bound: Any) -> str:
    """A token for a freshly opened form of ``kind``, bound to ``bound`` (JSON values: the
    child's and the signer's ids, the text version...)."""
    value = {"b": bound, "o": utcnow().isoformat(), "n": secrets.token_hex(16)}
    return sign_value(value, salt=_salt(kind))


def read_form(
    kind: str, token: str, *, max_age: int = FORM_MAX_AGE, **bound: Any
) -> OpenedForm | None:
    """The opening in ``token``, or None when it was changed, is of another kind, is older than
    ``max_age`` seconds, or was bound to other values than ``bound`` (someone else's form).
    Raises nothing."""
    value = read_value(token or "", salt=_salt(kind), max_age=max_age)
    if not isinstance(value, dict) or value.get("b") != bound:
        return None
    try:
        return OpenedForm(datetime.fromisoformat(value["o"]), str(value["n"]), dict(value["b"]))
    except (KeyError, TypeError, ValueError):
        return None


class SignatureForm(PortalForm):
    """Fields every signing form has: the token, the full name, and a drawn or typed signature.

    A feature subclasses it with what is signed (answers, a confirmation) and renders the
    signature part with ``signature_fields(form)`` from ``_macros/signature.html``.
    """

    token = HiddenField()
    typed_name = StringField(
        _l("Your full name"),
        validators=[required(), one_line(), max_length(120)],
        render_kw={"autocomplete": "name"},
    )
    type_signature = BooleanField(
        _l("I sign by typing my name instead of drawing"),
        description=_l("Your typed full name then counts as your signature."),
    )
    signature = HiddenField()

    def validate_signature(self, field: Field) -> None:
        if not self.type_signature.data and not (field.data or "").startswith(DATA_URI_PREFIX):
            raise ValidationError(str(NO_DRAWING))

    def signature_value(self) -> Signature:
        """The signature as sent (a drawing is checked when it is stored)."""
        return signature_from_form(bool(self.type_signature.data), self.signature.data)
