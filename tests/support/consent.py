"""Signing and withdrawing consent in tests through the real service (PDF and seal included)."""

from __future__ import annotations

import io
import secrets
from datetime import timedelta

from PIL import Image, ImageDraw

from app.circle.models import Child, User
from app.consent import services
from app.consent.models import Answer, ConsentRecord, Purpose, SignatureMethod
from app.core.db import db, utcnow
from app.core.signin import SignInMethod

ALL_YES = {p: Answer.YES for p in Purpose}


def signature_png(width: int = 600, height: int = 200, draw: bool = True) -> bytes:
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    if draw:
        ImageDraw.Draw(image).line(
            [(20, 150), (120, 40), (220, 160), (320, 50)], fill=(0, 0, 0, 255), width=4
        )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def sign_consent(
    app, child: Child, signer: User, answers: dict | None = None, typed_name: str | None = None
) -> ConsentRecord:
    """Sign for ``signer`` (the school's text is published first if needed) and commit."""
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        child = db.session.get(Child, child.id)
        signer = db.session.get(User, signer.id)
        template = services.ensure_published_template(db.session, child.school, actor=None)
        record = services.sign(
            db.session,
            child,
            signer,
            template=template,
            language=signer.preferred_language,
            answers=answers or ALL_YES,
            typed_name=typed_name or signer.name,
            signature=services.Signature(SignatureMethod.DRAWN, signature_png()),
            opened_at=utcnow() - timedelta(minutes=2),
            nonce=secrets.token_hex(16),
            evidence=services.Evidence("192.0.2.10", "pytest browser", SignInMethod.PASSWORD),
        )
        db.session.commit()
        record_id = record.id
    return db.session.get(ConsentRecord, record_id)


def withdraw(app, child: Child, signer: User, purposes) -> None:
    """Withdraw ``signer``'s consent to ``purposes`` through the real service, and commit."""
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        services.withdraw(
            db.session,
            db.session.merge(child),
            db.session.merge(signer),
            purposes,
            nonce=secrets.token_hex(16),
            evidence=services.Evidence("192.0.2.10", "pytest", SignInMethod.PASSWORD),
        )
        db.session.commit()
