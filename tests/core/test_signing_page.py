"""The shared signing helper as a page: a test-only acknowledgement signed through a route
whose view is :func:`app.core.signing.sign_with_form`, through the test client. 200 for the
form (again, with its errors), 400 for a bad token, 409 for a change while it was open, one
record for a double submit. Nothing here imports app.consent.
"""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
import time_machine
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import HiddenField

from app import create_app
from app.circle import routes
from app.circle.policy import Action, Seat
from app.core.db import db, utcnow
from app.core.signing import (
    SignatureForm,
    SignatureMethod,
    evidence_from_request,
    open_form,
    sha256_text,
    sign_with_form,
)
from config import TestConfig
from tests.support.acknowledgements import (
    KIND,
    SUMMARY,
    Acknowledgement,
    drawing,
    store_acknowledgement,
)


@pytest.fixture
def table(app, db_connection):
    # Created inside the test's transaction, so it is gone again afterwards.
    Acknowledgement.__table__.create(db_connection)


#: The summary the page shows now; a test changes it to play "changed while the form was open".
shown_now = {"summary": SUMMARY}


class AcknowledgeForm(SignatureForm):
    summary_sha256 = HiddenField()


@routes.for_child(Action.VIEW_CHILD)
def acknowledge_page(seat: Seat):
    """What a feature's view would be: the loader, the helper, then the page (here: JSON)
    with its status."""
    child_id = seat.child.id
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
