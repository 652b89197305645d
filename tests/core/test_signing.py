"""The shared signing pieces, used by a feature that is not consent.

A tiny acknowledgement record (tests/support/acknowledgements.py), on a table of its own in a
registry of its own, is signed through app.core.signing alone: the token of its form, the
drawn or typed signature, store-once, the immutability guard, the evidence events and the
evidence page (its page, the shared signing helper as a view: test_signing_page.py). Nothing
here imports app.consent.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import time_machine
from flask import render_template_string
from PIL import Image, PngImagePlugin
from sqlalchemy import func, select

from app.circle.models import User
from app.core.db import db, utcnow
from app.core.errors import RefusedError
from app.core.signin import SignInMethod
from app.core.signing import (
    AlreadyStoredError,
    Evidence,
    ImmutableRecordError,
    Signature,
    SignatureMethod,
    evidence_events,
    evidence_from_request,
    open_form,
    read_form,
    sha256_text,
    signed_fields,
)
from tests.support.acknowledgements import (
    EVIDENCE,
    KIND,
    Acknowledgement,
    drawing,
    store_acknowledgement,
)


@pytest.fixture
def table(app, db_connection):
    # Created inside the test's transaction, so it is gone again afterwards.
    Acknowledgement.__table__.create(db_connection)


def acknowledge(user: User, child_id: int, token: str, *, typed_name: str, signature: Signature):
    """Open the token, then store (the service's callers outside a page)."""
    opened = read_form(KIND, token, child=child_id, user=user.id)
    assert opened is not None
    return store_acknowledgement(user, child_id, opened, typed_name=typed_name, signature=signature)


def test_a_record_of_another_feature_is_signed_with_its_evidence(app_ctx, table, circle):
    parent = db.session.get(User, circle.parent.id)
    with time_machine.travel(utcnow() - timedelta(minutes=3), tick=False):
        token = open_form(KIND, child=circle.child.id, user=parent.id)
    record = acknowledge(
        parent,
        circle.child.id,
        token,
        typed_name="  Someone   Else ",
        signature=Signature(SignatureMethod.DRAWN, drawing()),
    )
    db.session.commit()

    stored = db.session.get(Acknowledgement, record.id)
    assert stored.signer_id == parent.id and stored.signer_name == parent.name
    assert stored.typed_name == "Someone Else" and stored.typed_differs
    assert stored.text_sha256 == sha256_text(stored.text_shown)
    assert stored.signature_png.startswith(b"\x89PNG")
    assert stored.ip_address == "192.0.2.44" and stored.sign_in_method is SignInMethod.INVITATION
    assert timedelta(minutes=2) < stored.signed_at - stored.opened_at < timedelta(minutes=4)

    events = evidence_events(
        db.session, stored, child_id=circle.child.id, signer_id=parent.id, actions=("ack_signed",)
    )
    assert [(e.what, e.who) for e in events] == [("ack_signed", parent.name)]


def test_one_form_stores_one_record(app_ctx, table, circle):
    parent = db.session.get(User, circle.parent.id)
    token = open_form(KIND, child=circle.child.id, user=parent.id)
    typed = Signature(SignatureMethod.TYPED)
    acknowledge(parent, circle.child.id, token, typed_name=parent.name, signature=typed)
    with pytest.raises(AlreadyStoredError) as refused:
        acknowledge(parent, circle.child.id, token, typed_name=parent.name, signature=typed)
    assert refused.value.field == "nonce"
    assert db.session.scalar(select(func.count(Acknowledgement.id))) == 1


def test_a_stored_record_never_changes(app_ctx, table, circle):
    parent = db.session.get(User, circle.parent.id)
    token = open_form(KIND, child=circle.child.id, user=parent.id)
    record = acknowledge(
        parent,
        circle.child.id,
        token,
        typed_name=parent.name,
        signature=Signature(SignatureMethod.TYPED),
    )
    record.summary = "Something else"
    with pytest.raises(ImmutableRecordError):
        db.session.flush()


@pytest.mark.parametrize(
    "typed_name, signature, field",
    [
        ("", Signature(SignatureMethod.TYPED), "typed_name"),
        ("Petra", Signature(SignatureMethod.DRAWN, drawing(draw=False)), "signature"),
        ("Petra", Signature(SignatureMethod.DRAWN, b"GIF89a not a png"), "signature"),
    ],
)
def test_a_missing_name_or_drawing_is_refused(app_ctx, circle, typed_name, signature, field):
    parent = db.session.get(User, circle.parent.id)
    opened = read_form(KIND, open_form(KIND, user=parent.id), user=parent.id)
    with pytest.raises(RefusedError) as refused:
        signed_fields(
            parent,
            shown="text",
            typed_name=typed_name,
            signature=signature,
            opened=opened,
            evidence=EVIDENCE,
        )
    assert refused.value.field == field


def test_a_drawing_loses_its_metadata(app_ctx, circle):
    image = Image.open(io.BytesIO(drawing()))
    out = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "GPS 52.09,5.12")
    image.save(out, format="PNG", pnginfo=info)
    fields = signed_fields(
        db.session.get(User, circle.parent.id),
        shown="text",
        typed_name="Petra",
        signature=Signature(SignatureMethod.DRAWN, out.getvalue()),
        opened=read_form(KIND, open_form(KIND), max_age=60),
        evidence=EVIDENCE,
    )
    assert b"GPS" not in fields["signature_png"]


def test_a_token_only_opens_its_own_kind_of_form_for_its_own_person(app_ctx):
    token = open_form(KIND, child=1, user=2)
    assert read_form(KIND, token, child=1, user=2) is not None
    assert read_form("other-kind", token, child=1, user=2) is None
    assert read_form(KIND, token, child=1, user=3) is None
    assert read_form(KIND, token[:-2] + ("AA" if not token.endswith("AA") else "BB")) is None
    first, second = open_form(KIND, user=2), open_form(KIND, user=2)
    nonces = {read_form(KIND, t, user=2).nonce for t in (first, second)}
    assert len(nonces) == 2


def test_a_token_expires(app_ctx):
    with time_machine.travel(utcnow() - timedelta(hours=7), tick=False):
        old = open_form(KIND, user=2)
    assert read_form(KIND, old, user=2) is None
    assert read_form(KIND, old, user=2, max_age=8 * 3600) is not None


def test_evidence_of_a_request(app):
    with app.test_request_context(
        environ_base={"REMOTE_ADDR": "198.51.100.7"}, headers={"User-Agent": "Phone/1.0"}
    ):
        evidence = evidence_from_request()
    assert evidence == Evidence("198.51.100.7", "Phone/1.0", SignInMethod.PASSWORD)


def test_the_evidence_page_names_the_account_beside_the_typed_name(app_ctx, table, circle):
    parent = db.session.get(User, circle.parent.id)
    record = acknowledge(
        parent,
        circle.child.id,
        open_form(KIND, child=circle.child.id, user=parent.id),
        typed_name="Mickey Mouse",
        signature=Signature(SignatureMethod.TYPED),
    )
    events = evidence_events(
        db.session, record, child_id=circle.child.id, signer_id=parent.id, actions=("ack_signed",)
    )
    html = render_template_string(
        '{% from "pdf/_evidence.html" import evidence_page %}'
        "{{ evidence_page(record, 'parent', events, {'ack_signed': 'acknowledged'}) }}",
        record=record,
        events=events,
    )
    assert parent.name in html and parent.email in html and "Mickey Mouse" in html
    assert "acknowledged" in html and "192.0.2.44" in html
    chunks = re.findall(r"<span>([0-9a-f]+)</span>", html)
    assert chunks == [record.text_sha256[:32], record.text_sha256[32:]]
