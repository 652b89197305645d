"""Signing in and out: hashing, throttling, identical answers, sessions (SECURITY A and B)."""

from __future__ import annotations

import re
import time

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from app.auth.models import UserSession
from app.circle.models import User
from app.core.audit import AuditEvent, AuditPersonal
from app.core.db import db
from tests.support.infra import PASSWORD


def sign_in(client, email, password):
    return client.post("/sign-in", data={"email": email, "password": password})


def test_sign_in_then_home_shows_my_children(client, circle):
    response = sign_in(client, circle.parent.email, PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert circle.child.name in home.get_data(as_text=True)


def test_email_is_case_insensitive(client, circle):
    assert sign_in(client, circle.parent.email.upper(), PASSWORD).status_code == 302


def test_password_is_stored_as_argon2id_and_nowhere_in_plain(client, circle):
    sign_in(client, circle.parent.email, "wrong password here")
    user = db.session.get(User, circle.parent.id)
    assert user.password_hash.startswith("$argon2id$")
    events = db.session.scalars(select(AuditEvent.data)).all()
    personal = db.session.scalars(select(AuditPersonal.details)).all()
    for text in [*events, *personal]:
        assert PASSWORD not in text and "wrong password here" not in text


def test_old_parameters_are_rehashed_at_next_sign_in(app, client, circle):
    weak = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash(PASSWORD)
    circle.parent.password_hash = weak
    db.session.commit()
    assert sign_in(client, circle.parent.email, PASSWORD).status_code == 302
    rehashed = db.session.get(User, circle.parent.id).password_hash
    assert rehashed != weak
    assert f"m={app.config['ARGON2_MEMORY_COST']}" in rehashed


def test_unknown_email_and_wrong_password_answer_identically(client, circle):
    wrong = sign_in(client, circle.parent.email, "not the password")
    unknown = sign_in(client, "nobody@example.nl", "not the password")
    assert wrong.status_code == unknown.status_code == 200

    def strip(response):
        # The per-page CSRF tokens carry a timestamp; everything else must be the same.
        text = re.sub(r'name="csrf_token" value="[^"]*"', "", response.get_data(as_text=True))
        return text.replace(circle.parent.email, "X").replace("nobody@example.nl", "X")

    assert strip(wrong) == strip(unknown)


def test_unknown_email_costs_a_hash_too(client, circle, monkeypatch):
    from app.auth import services

    calls = []
    original = services._burn_time
    monkeypatch.setattr(services, "_burn_time", lambda *a: calls.append(1) or original(*a))
    sign_in(client, "nobody@example.nl", "whatever password")
    assert calls == [1]


def test_failed_sign_ins_are_throttled_per_account_with_a_clear_message(
    app, client, circle, monkeypatch
):
    monkeypatch.setitem(app.config, "SIGN_IN_LIMIT_PER_ACCOUNT", "3/15 minutes")
    for _ in range(3):
        assert sign_in(client, circle.parent.email, "wrong password").status_code == 200
    blocked = sign_in(client, circle.parent.email, PASSWORD)
    assert blocked.status_code == 429
    assert "15" in blocked.get_data(as_text=True)  # says how long to wait
    assert client.get("/").status_code == 302  # not signed in

    # Another account from the same address is not locked out.
    assert sign_in(client, circle.parent2.email, PASSWORD).status_code == 302


def test_failed_sign_ins_are_throttled_per_address(app, client, circle, monkeypatch):
    monkeypatch.setitem(app.config, "SIGN_IN_LIMIT_PER_ADDRESS", "4/15 minutes")
    for n in range(4):
        sign_in(client, f"guess{n}@example.nl", "wrong password")
    assert sign_in(client, circle.parent.email, PASSWORD).status_code == 429
    other_address = app.test_client()
    response = other_address.post(
        "/sign-in",
        data={"email": circle.parent.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert response.status_code == 302


def test_throttled_and_failed_sign_ins_are_audited_without_password(client, circle):
    sign_in(client, circle.parent.email, "wrong password")
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "sign_in_failed" in actions
    sign_in(client, circle.parent.email, PASSWORD)
    assert "sign_in" in db.session.scalars(select(AuditEvent.action)).all()


def test_session_is_renewed_at_sign_in(client, circle):
    client.get("/sign-in")
    before = client.get_cookie("beeldbrug_session")
    sign_in(client, circle.parent.email, PASSWORD)
    after = client.get_cookie("beeldbrug_session")
    assert after is not None and (before is None or before.value != after.value)
    first_session = db.session.scalar(
        select(UserSession.token_hash).where(UserSession.user_id == circle.parent.id)
    )

    # A second sign-in (say, on the same browser after a sign-out) gets a new server session.
    client.post("/sign-out")
    sign_in(client, circle.parent.email, PASSWORD)
    second_session = db.session.scalar(
        select(UserSession.token_hash).where(UserSession.user_id == circle.parent.id)
    )
    assert second_session != first_session


def test_sign_out_revokes_the_session_on_the_server(app, client, circle):
    sign_in(client, circle.parent.email, PASSWORD)
    stolen = client.get_cookie("beeldbrug_session").value
    assert client.post("/sign-out").status_code == 302

    replay = app.test_client()
    replay.set_cookie("beeldbrug_session", stolen)
    response = replay.get("/")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert (
        db.session.scalar(
            select(func.count(UserSession.id)).where(UserSession.user_id == circle.parent.id)
        )
        == 0
    )


def test_sign_out_needs_post(client, circle):
    sign_in(client, circle.parent.email, PASSWORD)
    assert client.get("/sign-out").status_code == 405
    assert client.get("/").status_code == 200


def test_staff_idle_time_out(client, circle, monkeypatch):
    sign_in(client, circle.teacher.email, PASSWORD)
    assert client.get("/").status_code == 200
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 31 * 60)
    response = client.get("/")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_parent_is_not_timed_out_after_31_minutes(client, circle, monkeypatch):
    sign_in(client, circle.parent.email, PASSWORD)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 31 * 60)
    assert client.get("/").status_code == 200


def test_absolute_session_lifetime(client, circle):
    from datetime import timedelta

    sign_in(client, circle.parent.email, PASSWORD)
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == circle.parent.id))
    row.expires_at = row.created_at - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/").status_code == 302


def test_session_cookie_flags(client, circle):
    response = sign_in(client, circle.parent.email, PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Domain=" not in cookie


def test_the_session_cookie_ends_with_the_browser(client, circle):
    response = sign_in(client, circle.parent.email, PASSWORD)
    cookies = [c for c in response.headers.getlist("Set-Cookie") if "beeldbrug_session=" in c]
    assert cookies
    for cookie in cookies:
        assert "Expires=" not in cookie and "Max-Age=" not in cookie, cookie
    assert client.get("/").status_code == 200  # signed in all the same


def test_production_cookie_is_secure(production_app, circle):
    secure = production_app.test_client()
    page = secure.get("/sign-in", base_url="https://localhost").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = secure.post(
        "/sign-in",
        data={"email": circle.parent.email, "password": PASSWORD, "csrf_token": token},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/sign-in"},  # checked on HTTPS
    )
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("beeldbrug_session=") for c in cookies)
    for cookie in cookies:
        assert "; Secure" in cookie and "; HttpOnly" in cookie, cookie
    assert secure.get("/", base_url="https://localhost").status_code == 200  # signed in


def test_deactivated_account_cannot_sign_in(client, circle):
    db.session.get(User, circle.parent.id).is_deactivated = True
    db.session.commit()
    response = sign_in(client, circle.parent.email, PASSWORD)
    assert response.status_code == 200
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    "data",
    [
        {"email": "", "password": ""},
        {"email": "not-an-address", "password": "x"},
        {"email": "a@b.nl", "password": "p" * 2000},
        {"email": ("a" * 250) + "@b.nl", "password": "x"},
    ],
)
def test_malformed_sign_in_is_refused_with_a_message(client, data):
    response = client.post("/sign-in", data=data)
    assert response.status_code == 200
    assert 'class="field-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(UserSession.id))) == 0


def test_next_only_goes_to_this_site(client, circle):
    response = client.post(
        "/sign-in",
        data={"email": circle.parent.email, "password": PASSWORD, "next": "//evil.example/x"},
    )
    assert response.headers["Location"] == "/"
    client.post("/sign-out")
    response = client.post(
        "/sign-in",
        data={
            "email": circle.parent.email,
            "password": PASSWORD,
            "next": f"/children/{circle.child.id}",
        },
    )
    assert response.headers["Location"] == f"/children/{circle.child.id}"
