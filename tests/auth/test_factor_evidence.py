"""The evidence page of what someone signed names how they signed in, second factor included
(SECURITY G.31, A.6)."""

from __future__ import annotations

import base64
import re
import subprocess
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from app.circle.models import Child
from app.consent import services
from app.consent.models import ConsentRecord, Purpose
from app.core import storage
from app.core.db import db
from app.core.signin import SignInMethod
from app.documents.models import Document
from tests.support.consent import signature_png
from tests.support.factors import enrol_authenticator, sign_in_with_code, totp
from tests.support.infra import PASSWORD
from tests.support.soft_passkey import SoftPasskey


def a_step_tomorrow() -> datetime:
    """Halfway through a 30-second step, a day from now (after the circle's memberships began)."""
    moment = datetime.now(UTC) + timedelta(days=1)
    return moment.replace(second=15, microsecond=0)


def sign_consent_on_the_page(client, child) -> None:
    url = f"/children/{child.id}/consent/sign"
    response = client.get(url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, (
        response.status_code,
        response.headers.get("Location"),
        page[-3000:],
    )
    hidden = {
        name: re.search(rf'name="{name}" type="hidden" value="([^"]+)"', page).group(1)
        for name in ("token", "template_id")
    }
    data = {
        **hidden,
        **{p.value: "yes" for p in Purpose},
        "typed_name": "Ouder Petra",
        "signature": "data:image/png;base64," + base64.b64encode(signature_png()).decode(),
        "confirm": "y",
    }
    assert client.post(url, data=data).status_code == 302


def evidence_text(app, record: ConsentRecord, tmp_path) -> str:
    document = db.session.scalar(
        select(Document).where(
            Document.subject_type == "ConsentRecord", Document.subject_id == record.id
        )
    )
    with app.app_context(), storage.open_file(document.storage_key) as fh:
        (tmp_path / "consent.pdf").write_bytes(fh.read())
    out = subprocess.run(
        ["pdftotext", str(tmp_path / "consent.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return " ".join(out.split())


def published(app, child) -> None:
    with app.app_context():
        services.ensure_published_template(
            db.session, db.session.get(Child, child.id).school, actor=None
        )
        db.session.commit()


def test_the_evidence_page_says_password_and_authenticator_code(
    app, client, login_as, circle, tmp_path
):
    noon = a_step_tomorrow()
    with time_machine.travel(noon, tick=False) as clock:
        published(app, circle.child)
        login_as(circle.parent)  # a parent may use a second factor too
        result = enrol_authenticator(client, noon)
        client.post("/sign-out")
        clock.shift(timedelta(seconds=30))
        code = totp(result.secret, noon + timedelta(seconds=30))
        assert sign_in_with_code(client, circle.parent.email, PASSWORD, code).status_code == 302
        sign_consent_on_the_page(client, circle.child)
    record = db.session.scalar(select(ConsentRecord))
    assert record.sign_in_method is SignInMethod.PASSWORD_TOTP
    assert "Aangemeld met wachtwoord + code uit authenticator-app" in evidence_text(
        app, record, tmp_path
    )


def test_the_evidence_page_says_password_and_recovery_code(app, client, login_as, circle, tmp_path):
    published(app, circle.child)
    login_as(circle.parent)
    result = enrol_authenticator(client)
    client.post("/sign-out")
    code = result.recovery_codes[0]
    assert sign_in_with_code(client, circle.parent.email, PASSWORD, code).status_code == 302
    sign_consent_on_the_page(client, circle.child)
    record = db.session.scalar(select(ConsentRecord))
    assert record.sign_in_method is SignInMethod.PASSWORD_RECOVERY
    assert "wachtwoord + herstelcode" in evidence_text(app, record, tmp_path)


def test_the_evidence_page_says_password_and_passkey(app, client, login_as, circle, tmp_path):
    published(app, circle.child)
    device = SoftPasskey()
    login_as(circle.parent)
    options = client.post("/account/passkeys/options").get_json()
    client.post(
        "/account/passkeys", json={"credential": device.create(options), "name": "Telefoon"}
    )
    client.post("/sign-out")
    client.post("/sign-in", data={"email": circle.parent.email, "password": PASSWORD})
    options = client.post("/passkey/options").get_json()
    assert (
        client.post("/passkey/verify", json={"credential": device.get(options)}).status_code == 200
    )
    sign_consent_on_the_page(client, circle.child)
    record = db.session.scalar(select(ConsentRecord))
    assert record.sign_in_method is SignInMethod.PASSWORD_PASSKEY
    assert "wachtwoord + passkey" in evidence_text(app, record, tmp_path)
