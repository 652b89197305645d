"""Password rules, reset links, the account page and the language choice."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.auth import services
from app.auth.models import PasswordToken, UserSession
from app.circle.models import User
from app.core.db import db, utcnow
from tests.support.infra import PASSWORD


@pytest.mark.parametrize(
    "password, problem",
    [
        ("kort", "too_short"),
        ("1234567", "too_short"),
        ("x" * 129, "too_long"),
        ("password", "common"),
        ("qwerty123", "common"),
        ("wachtwoord", "common"),
        ("Welkom01", "common"),
        ("aaaaaaaaaaaa", "common"),
        ("petra@example.nl", "personal"),
        ("petra", "too_short"),
    ],
)
def test_weak_passwords_are_refused(app, password, problem):
    assert services.password_problem(password, email="petra@example.nl", name="Petra") == problem


@pytest.mark.parametrize(
    "password",
    [
        "een goed wachtwoord",
        "correct horse battery staple",
        "zonderhoofdletters",
        "a" * 60 + "b!c",
        ("lang genoeg " * 11)[:128],
    ],
)
def test_good_passwords_need_no_composition_rules(app, password):
    assert services.password_problem(password, email="petra@example.nl", name="Petra") is None


def reset_link(client, mailbox, email):
    client.post("/forgot-password", data={"email": email})
    return mailbox.link_in(mailbox.last_to(email))


def test_reset_answers_the_same_for_known_and_unknown_addresses(client, circle, mailbox):
    known = client.post("/forgot-password", data={"email": circle.parent.email})
    unknown = client.post("/forgot-password", data={"email": "nobody@example.nl"})
    assert known.status_code == unknown.status_code == 200

    def strip(response, address):
        text = re.sub(r'name="csrf_token" value="[^"]*"', "", response.get_data(as_text=True))
        return text.replace(address, "X")

    assert strip(known, circle.parent.email) == strip(unknown, "nobody@example.nl")
    assert len(mailbox.to(circle.parent.email)) == 1
    assert mailbox.to("nobody@example.nl") == []


def test_reset_link_sets_password_once_and_ends_sessions(app, client, login_as, circle, mailbox):
    other_device = login_as(circle.parent, on=app.test_client())
    link = reset_link(client, mailbox, circle.parent.email)
    assert link.startswith("/reset?token=")
    assert client.get(link).status_code == 200
    response = client.post(
        link, data={"password": "nieuw en lang genoeg", "confirm": "nieuw en lang genoeg"}
    )
    assert response.status_code == 302

    assert other_device.get("/").status_code == 302  # signed out everywhere
    assert client.get(link).status_code == 410  # single use
    assert (
        client.post(
            "/sign-in", data={"email": circle.parent.email, "password": PASSWORD}
        ).status_code
        == 200
    )
    assert (
        client.post(
            "/sign-in", data={"email": circle.parent.email, "password": "nieuw en lang genoeg"}
        ).status_code
        == 302
    )


def test_reset_link_expires(client, circle, mailbox):
    link = reset_link(client, mailbox, circle.parent.email)
    row = db.session.scalar(select(PasswordToken))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(link).status_code == 410
    before = db.session.get(User, circle.parent.id).password_hash
    client.post(link, data={"password": "nieuw en lang genoeg", "confirm": "nieuw en lang genoeg"})
    assert db.session.get(User, circle.parent.id).password_hash == before


def test_reset_token_is_stored_hashed(client, circle, mailbox):
    token = reset_link(client, mailbox, circle.parent.email).split("token=")[1]
    stored = db.session.scalar(select(PasswordToken.token_hash))
    assert stored == services.token_digest(token) and token not in stored


def test_reset_with_mismatched_or_weak_password_changes_nothing(client, circle, mailbox):
    link = reset_link(client, mailbox, circle.parent.email)
    before = db.session.get(User, circle.parent.id).password_hash
    r1 = client.post(link, data={"password": "nieuw en lang genoeg", "confirm": "iets anders"})
    r2 = client.post(link, data={"password": "12345678", "confirm": "12345678"})
    assert 'id="confirm-error"' in r1.get_data(as_text=True)
    assert 'id="password-error"' in r2.get_data(as_text=True)
    assert db.session.get(User, circle.parent.id).password_hash == before
    assert db.session.scalar(select(PasswordToken.used_at)) is None


def test_reset_requests_are_rate_limited(app, client, circle, mailbox, monkeypatch):
    monkeypatch.setitem(app.config, "RESET_REQUEST_LIMIT", "2/hour")
    for _ in range(4):
        client.post("/forgot-password", data={"email": circle.parent.email})
    assert len(mailbox.to(circle.parent.email)) == 2


def test_password_change_ends_other_sessions(app, client, login_as, circle):
    other_device = login_as(circle.parent, on=app.test_client())
    login_as(circle.parent)
    response = client.post(
        "/account",
        data={
            "password-current": PASSWORD,
            "password-password": "een nieuw wachtwoord",
            "password-confirm": "een nieuw wachtwoord",
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this device stays signed in
    assert other_device.get("/").status_code == 302
    assert (
        db.session.scalar(
            select(func.count(UserSession.id)).where(UserSession.user_id == circle.parent.id)
        )
        == 1
    )


def test_password_change_with_wrong_current_password_changes_nothing(client, login_as, circle):
    login_as(circle.parent)
    before = db.session.get(User, circle.parent.id).password_hash
    response = client.post(
        "/account",
        data={
            "password-current": "wrong one",
            "password-password": "een nieuw wachtwoord",
            "password-confirm": "een nieuw wachtwoord",
        },
    )
    assert response.status_code == 200
    assert 'id="password-current-error"' in response.get_data(as_text=True)
    assert db.session.get(User, circle.parent.id).password_hash == before


def test_account_details_and_language_are_saved(client, login_as, circle):
    login_as(circle.parent)
    response = client.post(
        "/account", data={"account-name": "Petra de Groot", "account-language": "en"}
    )
    assert response.status_code == 302
    user = db.session.get(User, circle.parent.id)
    assert user.name == "Petra de Groot" and user.preferred_language == "en"
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


def test_account_bad_input_is_refused(client, login_as, circle):
    login_as(circle.parent)
    response = client.post("/account", data={"account-name": "", "account-language": "xx"})
    page = response.get_data(as_text=True)
    assert 'id="account-name-error"' in page and 'id="account-language-error"' in page
    assert db.session.get(User, circle.parent.id).name == circle.parent.name


def test_dutch_by_default_english_on_request_and_remembered(client, login_as, circle):
    page = client.get("/sign-in").get_data(as_text=True)
    assert 'lang="nl"' in page and "Aanmelden" in page
    client.post("/language", data={"language": "en", "next": "/sign-in"})
    page = client.get("/sign-in").get_data(as_text=True)
    assert 'lang="en"' in page and "Sign in" in page
    # Signing in keeps the choice and stores it with the account.
    login_as(circle.parent)
    assert db.session.get(User, circle.parent.id).preferred_language == "en"
    client.post("/sign-out")
    client.post("/language", data={"language": "nl"})
    login_as(circle.parent)
    assert 'lang="nl"' in client.get("/").get_data(as_text=True)


def test_unknown_language_is_refused(client):
    assert client.post("/language", data={"language": "xx"}).status_code == 400
