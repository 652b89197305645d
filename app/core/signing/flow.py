"""The steps of a signing page, the same for every signed record: the view calls
:func:`sign_with_form` and either returns its response or shows the form again.

GET: a freshly opened form (a new token). POST, in this order:

1. ``conflict()`` names a change since the form was opened (consent: a newer text was
   published) → 409, the form again with that message and a fresh token;
2. the token is missing, changed, too old, another kind's or someone else's → 400, the form
   again with ``expired`` and a fresh token;
3. the form does not validate → 200, the form again with its errors (the token kept: it is the
   same opening, and its nonce still guards against a double submit);
4. ``store(opened)`` calls the service. :class:`AlreadyStoredError` (this very form was
   stored before: a double submit) → rollback, the service's message flashed, and the
   redirect; any other RefusedError → rollback, 200, the refusal on the form; success →
   commit, ``signed`` flashed, the redirect to ``done``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, request
from werkzeug.wrappers import Response

from app.core.db import db
from app.core.errors import RefusedError
from app.core.forms import show_refusal
from app.core.i18n import lazy_gettext as _l
from app.core.signing.forms import OpenedForm, open_form, read_form
from app.core.signing.records import AlreadyStoredError

#: Why a signing form was not accepted: its token did not pass (step 2).
FORM_EXPIRED = _l("This form was open too long or is not yours. Please try again.")


@dataclass(frozen=True)
class SigningOutcome:
    """What a signing request came to: ``response`` to return (stored, or stored before), or
    None with the ``status`` to show the form again with."""

    response: Response | None = None
    status: int = 200


def sign_with_form(
    form: Any,
    kind: str,
    bound: Mapping[str, Any],
    *,
    store: Callable[[OpenedForm], object],
    done: str,
    signed: Any,
    conflict: Callable[[], Any] | None = None,
    expired: Any = FORM_EXPIRED,
) -> SigningOutcome:
    """Carry a signing form of ``kind`` through one request (the steps in this module's
    docstring); ``form`` is a FlaskForm with a ``token`` field, ``bound`` what the token is
    bound to (``child=…, user=…``), ``done`` the URL to redirect to once stored.

    ``store`` receives the :class:`OpenedForm` (opening time and nonce) and calls the
    service; it may raise RefusedError, AlreadyStoredError included. Errors other than a
    refusal propagate (the request's teardown rolls back). Needs a request context.
    """
    status = 200
    if request.method == "POST":
        changed = conflict() if conflict is not None else None
        opened = read_form(kind, form.token.data or "", **bound)
        if changed is not None:
            form.form_errors.append(str(changed))
            status = 409
        elif opened is None:
            form.form_errors.append(str(expired))
            status = 400
        elif form.validate():
            try:
                store(opened)
            except AlreadyStoredError as stored:
                db.session.rollback()
                flash(str(stored.message), "info")
                return SigningOutcome(redirect(done))
            except RefusedError as refused:
                db.session.rollback()
                show_refusal(form, refused)
            else:
                db.session.commit()
                flash(str(signed), "success")
                return SigningOutcome(redirect(done))
    if request.method != "POST" or status != 200:
        # A fresh opening; a form shown again with its errors keeps its opening and nonce.
        form.token.data = open_form(kind, **bound)
    return SigningOutcome(None, status)
