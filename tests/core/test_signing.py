"""The shared signing pieces, used by a feature that is not consent.

A tiny acknowledgement record, defined here on a table of its own in a registry of its own,
is signed through app.core.signing alone: the token of its form, the drawn or typed signature,
store-once, the immutability guard, the evidence events and the evidence page; and through a
page of its own (a route on an app of these tests) whose view is the shared signing helper.
Nothing here imports app.consent; the first test proves app.core.signing does not either.
"""

from __future__ import annotations

import base64
import io
import re
from datetime import timedelta

import pytest
import time_machine
from flask import render_template_string
from flask_login import current_user
from PIL import Image, ImageDraw, PngImagePlugin
from sqlalchemy import Column, Integer, MetaData, Table, Text, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, foreign, mapped_column, relationship
from wtforms import HiddenField

from app import create_app
from app.circle import routes
from app.circle.models import Child, User
from app.circle.policy import Action
from app.core import audit
from app.core.db import db, utcnow
from app.core.errors import RefusedError
from app.core.signin import SignInMethod
from app.core.signing import (
    AlreadyStoredError,
    Evidence,
    Immutable,
    ImmutableRecordError,
    OpenedForm,
    Signature,
    SignatureForm,
    SignatureMethod,
    SignedRecordMixin,
    evidence_events,
    evidence_from_request,
    open_form,
    read_form,
    sha256_text,
    sign_with_form,
    signed_fields,
    store_once,
)
from config import TestConfig


class _TestBase(DeclarativeBase):
    metadata = MetaData()


# The real users table, by name only: the test table's foreign key points at it.
Table("users", _TestBase.metadata, Column("id", Integer, primary_key=True))


class Acknowledgement(SignedRecordMixin, Immutable, _TestBase):
    """What a meeting-summary acknowledgement could look like."""

    __tablename__ = "test_acknowledgements"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text)
    # The model names its signer's account, as every signed record does (another registry's
    # class: an explicit join).
    signer: Mapped[User | None] = relationship(
        User, primaryjoin=lambda: foreign(Acknowledgement.signer_id) == User.id
    )

    def __repr__(self) -> str:
        return f"<Acknowledgement {self.id}>"


KIND = "test-acknowledgement"
EVIDENCE = Evidence("192.0.2.44", "test browser", SignInMethod.INVITATION)


@pytest.fixture
def table(app, db_connection):
    # Created inside the test's transaction, so it is gone again afterwards.
    Acknowledgement.__table__.create(db_connection)


def drawing(draw: bool = True) -> bytes:
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    if draw:
        ImageDraw.Draw(image).line([(10, 80), (150, 20), (290, 70)], fill=(0, 0, 0, 255), width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


SUMMARY = "Summary of the meeting of 12 March: agreements 1 to 3."


def store_acknowledgement(
    user: User,
    child_id: int,
    opened: OpenedForm,
    *,
    typed_name: str,
    signature: Signature,
    summary: str = SUMMARY,
    evidence: Evidence = EVIDENCE,
) -> Acknowledgement:
    """The service a feature would write: build, store once, audit. Raises RefusedError for a
    missing name or drawing, AlreadyStoredError for a form stored before."""
    record = Acknowledgement(
        child_id=child_id,
        summary=summary,
        **signed_fields(
            user,
            shown=summary,
            typed_name=typed_name,
            signature=signature,
            opened=opened,
            evidence=evidence,
        ),
    )
    store_once(db.session, record, message="already acknowledged")
    audit.record(db.session, "ack_signed", actor=user, child=child_id, obj=record)
    return record


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


# --- the page: the shared signing helper as a view ------------------------------------------

#: The summary the page shows now; a test changes it to play "changed while the form was open".
shown_now = {"summary": SUMMARY}


class AcknowledgeForm(SignatureForm):
    summary_sha256 = HiddenField()


@routes.for_child(Action.VIEW_CHILD)
def acknowledge_page(child: Child):
    """What a feature's view would be: the loader, the helper, then the page (here: JSON)
    with its status."""
    child_id = child.id
    form = AcknowledgeForm()
    summary = shown_now["summary"]
    outcome = sign_with_form(
        form,
        KIND,
        {"child": child_id, "user": current_user.id},
        conflict=lambda: (
            "the summary changed" if form.summary_sha256.data != sha256_text(summary) else None
        ),
        store=lambda opened: store_acknowledgement(
            current_user._get_current_object(),
            child_id,
            opened,
            typed_name=form.typed_name.data,
            signature=form.signature_value(),
            summary=summary,
            evidence=evidence_from_request(),
        ),
        done=f"/test-acknowledged/{child_id}",
        signed="acknowledged, thank you",
    )
    if outcome.response is not None:
        return outcome.response
    form.summary_sha256.data = sha256_text(summary)
    errors = {name: field.errors for name, field in form._fields.items() if field.errors}
    page = {"token": form.token.data, "summary_sha256": form.summary_sha256.data}
    return {**page, "form_errors": form.form_errors, "errors": errors}, outcome.status


@pytest.fixture(scope="module")
def page_app(app, tmp_path_factory):
    """An app of these tests (same database and settings as the suite's) with the page: routes
    cannot be added to the suite's app once it has served a request."""
    other = create_app(
        TestConfig,
        DATABASE_URL=app.config["DATABASE_URL"],
        RATELIMIT_STORAGE_URI=app.config["RATELIMIT_STORAGE_URI"],
        RATELIMIT_KEY_PREFIX=app.config["RATELIMIT_KEY_PREFIX"],
        MEDIA_ROOT=tmp_path_factory.mktemp("signing-page-media"),
        SIGNING_DIR=tmp_path_factory.mktemp("signing-page-keys"),
    )
    other.add_url_rule(
        "/test-acknowledge/<int:child_id>", view_func=acknowledge_page, methods=["GET", "POST"]
    )
    return other


@pytest.fixture
def signing_parent(page_app, login_as, table, circle):
    """The circle's parent, signed in on the page's app."""
    return login_as(circle.parent, on=page_app.test_client())


def opened_page(client, child_id):
    page = client.get(f"/test-acknowledge/{child_id}")
    assert page.status_code == 200 and page.json["form_errors"] == []
    return {"token": page.json["token"], "summary_sha256": page.json["summary_sha256"]}


def send(client, child_id, hidden, **fields):
    data = {**hidden, "typed_name": "Ouder Petra", "type_signature": "y", **fields}
    return client.post(f"/test-acknowledge/{child_id}", data=data)


def acknowledgements() -> int:
    return db.session.scalar(select(func.count(Acknowledgement.id)))


def flashed(client):
    with client.session_transaction() as session:
        # Taken, as a page showing them would: the next request flashes afresh.
        return [message for _category, message in session.pop("_flashes", [])]


def test_the_page_stores_one_acknowledgement_and_a_double_submit_stores_nothing(
    signing_parent, circle
):
    client = signing_parent
    hidden = opened_page(client, circle.child.id)
    response = send(client, circle.child.id, hidden)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/test-acknowledged/{circle.child.id}"
    assert flashed(client) == ["acknowledged, thank you"]
    stored = db.session.scalar(select(Acknowledgement))
    assert stored.signer_id == circle.parent.id and stored.ip_address == "127.0.0.1"
    assert stored.signature_method is SignatureMethod.TYPED and stored.summary == SUMMARY

    again = send(client, circle.child.id, hidden)
    assert again.status_code == 302 and flashed(client) == ["already acknowledged"]
    assert acknowledgements() == 1


def test_bad_input_shows_the_form_again_with_its_opening(signing_parent, circle):
    client = signing_parent
    hidden = opened_page(client, circle.child.id)
    response = send(client, circle.child.id, hidden, typed_name="")
    assert response.status_code == 200 and "typed_name" in response.json["errors"]
    assert response.json["token"] == hidden["token"]  # the same opening, the same nonce
    drawing_only = send(client, circle.child.id, hidden, type_signature="")
    assert drawing_only.status_code == 200 and "signature" in drawing_only.json["errors"]
    assert acknowledgements() == 0


def test_a_refusal_of_the_service_is_shown_on_the_form(signing_parent, circle):
    client = signing_parent
    hidden = opened_page(client, circle.child.id)
    blank = "data:image/png;base64," + base64.b64encode(drawing(draw=False)).decode()
    response = send(client, circle.child.id, hidden, type_signature="", signature=blank)
    assert response.status_code == 200 and response.json["errors"]["signature"]
    assert acknowledgements() == 0


def test_a_missing_forged_expired_or_foreign_token_is_400(page_app, signing_parent, circle):
    client = signing_parent
    child_id = circle.child.id
    hidden = opened_page(client, child_id)
    with page_app.test_request_context():
        with time_machine.travel(utcnow() - timedelta(hours=7), tick=False):
            expired = open_form(KIND, child=child_id, user=circle.parent.id)
        foreign = open_form(KIND, child=child_id, user=circle.parent2.id)
        other_kind = open_form("another-kind", child=child_id, user=circle.parent.id)
    for token in ("", hidden["token"][:-3] + "abc", expired, foreign, other_kind):
        response = send(client, child_id, {**hidden, "token": token})
        assert response.status_code == 400, token
        assert response.json["form_errors"] and response.json["token"] != token
    assert acknowledgements() == 0


def test_a_summary_changed_while_the_form_was_open_is_409(signing_parent, circle, monkeypatch):
    client = signing_parent
    hidden = opened_page(client, circle.child.id)
    monkeypatch.setitem(shown_now, "summary", "Summary with a fourth agreement.")
    response = send(client, circle.child.id, hidden)
    assert response.status_code == 409
    assert response.json["form_errors"] == ["the summary changed"]
    assert acknowledgements() == 0
    # The page now carries the new summary and a fresh opening; answering it works.
    fresh = {k: response.json[k] for k in ("token", "summary_sha256")}
    assert send(client, circle.child.id, fresh).status_code == 302
    assert db.session.scalar(select(Acknowledgement.summary)) == "Summary with a fourth agreement."
