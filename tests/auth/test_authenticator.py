"""An authenticator app as second factor (SECURITY A.3, A.6): enrolment confirmed by a first
code, sign-in in two steps, one use per code, clock drift, recovery codes, throttling, audit.

Codes are computed by Debian's ``oathtool``, not by the library the app uses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.auth import factors
from app.auth.models import AuthenticatorApp, RecoveryCode, UserSession
from app.core.audit import AuditEvent
from app.core.db import db
from app.core.signin import SignInMethod
from tests.support.factors import (
    codes_on,
    enrol_authenticator,
    secret_on,
    sign_in_with_code,
    totp,
)
from tests.support.infra import PASSWORD

#: Halfway through a 30-second step a day from now, so that "the step before" is unambiguous.
NOON = (datetime.now(UTC) + timedelta(days=1)).replace(second=15, microsecond=0)


@pytest.fixture
def at_noon():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


def methods_of(user) -> list[SignInMethod]:
    return list(
        db.session.scalars(select(UserSession.method).where(UserSession.user_id == user.id))
    )


def actions_of(user) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.actor_id == user.id).order_by(AuditEvent.id)
        )
    )


def enrolled(client, login_as, user, at=None):
    login_as(user)
    result = enrol_authenticator(client, at)
    client.post("/sign-out")
    return result


# --- enrolment ------------------------------------------------------------------------------


def test_enrolment_shows_a_qr_code_and_the_key_and_waits_for_a_first_code(client, login_as, circle):
    login_as(circle.teacher)
    client.post("/account/authenticator/start")
    page = client.get("/account/authenticator").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page  # an image the CSP allows (img-src data:)
    assert "<script" not in page.split("<main", 1)[1]
    secret = secret_on(page)
    assert len(secret) == 32
    # Not in effect yet: signing in again asks no code.
    client.post("/sign-out")
    assert (
        client.post("/sign-in", data={"email": circle.teacher.email, "password": PASSWORD}).headers[
            "Location"
        ]
        == "/"
    )
    assert db.session.scalar(select(AuthenticatorApp.confirmed_at)) is None


def test_the_key_is_not_stored_as_shown(client, login_as, circle):
    login_as(circle.teacher)
    client.post("/account/authenticator/start")
    secret = secret_on(client.get("/account/authenticator").get_data(as_text=True))
    stored = db.session.scalar(select(AuthenticatorApp.secret))
    assert secret not in stored


@pytest.mark.parametrize("bad", ["000000", "12345", "abcdef", "1234567", " "])
def test_a_wrong_or_malformed_first_code_changes_nothing(client, login_as, circle, bad):
    login_as(circle.teacher)
    client.post("/account/authenticator/start")
    response = client.post("/account/authenticator", data={"code": bad})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "field-error" in text
    assert db.session.scalar(select(AuthenticatorApp.confirmed_at)) is None
    assert db.session.scalar(select(RecoveryCode.id)) is None


def test_a_first_code_over_the_length_cap_gets_a_clear_message(client, login_as, circle):
    login_as(circle.teacher)
    client.post("/account/authenticator/start")
    response = client.post("/account/authenticator?lang=en", data={"code": "1" * 200})
    assert "Use at most 16 characters" in response.get_data(as_text=True)
    assert db.session.scalar(select(AuthenticatorApp.confirmed_at)) is None


def test_confirmed_enrolment_shows_ten_recovery_codes_once_and_stores_them_hashed(
    client, login_as, circle, at_noon
):
    result = enrolled(client, login_as, circle.teacher, at=NOON)
    stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10
    for code in result.recovery_codes:
        assert all(code.replace("-", "") not in h for h in stored)
    assert "authenticator_added" in actions_of(circle.teacher)
    # The security page tells how many are left but never shows them again.
    at_noon.shift(timedelta(seconds=30))
    later = NOON + timedelta(seconds=30)
    assert (
        sign_in_with_code(
            client, circle.teacher.email, PASSWORD, totp(result.secret, later)
        ).status_code
        == 302
    )
    page = client.get("/account/second-factor?lang=en").get_data(as_text=True)
    assert "10 recovery codes left" in page
    assert codes_on(page) == []


# --- signing in ------------------------------------------------------------------------------


def test_sign_in_asks_the_code_after_the_password(client, login_as, circle, at_noon):
    result = enrolled(client, login_as, circle.teacher)
    first = client.post("/sign-in", data={"email": circle.teacher.email, "password": PASSWORD})
    assert first.headers["Location"].endswith("/sign-in/code")
    # The password alone opens nothing.
    assert client.get("/").status_code == 302
    at_noon.shift(timedelta(seconds=30))
    done = client.post(
        "/sign-in/code", data={"code": totp(result.secret, NOON + timedelta(seconds=30))}
    )
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert SignInMethod.PASSWORD_TOTP in methods_of(circle.teacher)


def test_a_code_works_once(client, login_as, circle, at_noon):
    result = enrolled(client, login_as, circle.teacher)
    at_noon.shift(timedelta(seconds=30))
    code = totp(result.secret, NOON + timedelta(seconds=30))
    assert sign_in_with_code(client, circle.teacher.email, PASSWORD, code).status_code == 302
    client.post("/sign-out")
    again = sign_in_with_code(client, circle.teacher.email, PASSWORD, code, lang="en")
    assert again.status_code == 200
    assert "used already" in again.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert "second_factor_failed" in actions_of(circle.teacher)


def test_the_enrolment_code_cannot_sign_in_again(client, login_as, circle, at_noon):
    result = enrolled(client, login_as, circle.teacher, at=NOON)
    again = sign_in_with_code(client, circle.teacher.email, PASSWORD, totp(result.secret, NOON))
    assert again.status_code == 200


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [(-30, True), (30, True), (-60, False), (60, False), (-90, False)],
)
def test_one_step_of_clock_drift_either_way(client, login_as, circle, at_noon, offset, accepted):
    result = enrolled(client, login_as, circle.teacher, at=NOON)
    at_noon.shift(timedelta(minutes=5))
    now = NOON + timedelta(minutes=5)
    response = sign_in_with_code(
        client, circle.teacher.email, PASSWORD, totp(result.secret, now + timedelta(seconds=offset))
    )
    assert (response.status_code == 302) is accepted


def test_an_older_code_is_refused_after_a_newer_one(client, login_as, circle, at_noon):
    result = enrolled(client, login_as, circle.teacher, at=NOON)
    at_noon.shift(timedelta(minutes=5))
    now = NOON + timedelta(minutes=5)
    newer = totp(result.secret, now)
    assert sign_in_with_code(client, circle.teacher.email, PASSWORD, newer).status_code == 302
    client.post("/sign-out")
    older = totp(result.secret, now - timedelta(seconds=30))
    assert sign_in_with_code(client, circle.teacher.email, PASSWORD, older).status_code == 200


@pytest.mark.parametrize("bad", ["12 34 5", "abcdef", "123456789", "x" * 33, "12345\n6"])
def test_a_malformed_code_gets_a_clear_message_and_no_session(client, login_as, circle, bad):
    enrolled(client, login_as, circle.teacher)
    response = sign_in_with_code(client, circle.teacher.email, PASSWORD, bad)
    assert response.status_code == 200
    assert "field-error" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_the_second_step_expires(client, login_as, circle, at_noon):
    result = enrolled(client, login_as, circle.teacher, at=NOON)
    client.post("/sign-in", data={"email": circle.teacher.email, "password": PASSWORD})
    at_noon.shift(timedelta(minutes=6))
    late = client.post(
        "/sign-in/code", data={"code": totp(result.secret, NOON + timedelta(minutes=6))}
    )
    assert late.status_code == 302 and late.headers["Location"].endswith("/sign-in")
    assert client.get("/").status_code == 302


def test_the_code_page_without_a_password_first_sends_to_sign_in(client):
    response = client.get("/sign-in/code")
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")


# --- recovery codes ----------------------------------------------------------------------------


def test_a_recovery_code_signs_in_once(client, login_as, circle):
    result = enrolled(client, login_as, circle.teacher)
    code = result.recovery_codes[3]
    first = sign_in_with_code(client, circle.teacher.email, PASSWORD, code.upper())
    assert first.status_code == 302
    assert SignInMethod.PASSWORD_RECOVERY in methods_of(circle.teacher)
    assert "recovery_code_used" in actions_of(circle.teacher)
    client.post("/sign-out")
    again = sign_in_with_code(client, circle.teacher.email, PASSWORD, code)
    assert again.status_code == 200
    assert client.get("/").status_code == 302


def test_a_recovery_code_of_another_account_is_refused(client, login_as, circle):
    mine = enrolled(client, login_as, circle.teacher)
    enrolled(client, login_as, circle.coach)
    response = sign_in_with_code(client, circle.coach.email, PASSWORD, mine.recovery_codes[0])
    assert response.status_code == 200
    assert client.get("/").status_code == 302
    # …and it still works for its own account.
    own = sign_in_with_code(client, circle.teacher.email, PASSWORD, mine.recovery_codes[0])
    assert own.status_code == 302


def test_new_recovery_codes_replace_the_old_ones(client, login_as, circle, at_noon):
    result = enrolled(client, login_as, circle.teacher, at=NOON)
    at_noon.shift(timedelta(seconds=30))
    code = totp(result.secret, NOON + timedelta(seconds=30))
    assert sign_in_with_code(client, circle.teacher.email, PASSWORD, code).status_code == 302
    page = client.post("/account/recovery-codes")
    assert page.status_code == 200
    fresh = codes_on(page.get_data(as_text=True))
    assert len(fresh) == 10 and not set(fresh) & set(result.recovery_codes)
    client.post("/sign-out")
    old = sign_in_with_code(client, circle.teacher.email, PASSWORD, result.recovery_codes[0])
    assert old.status_code == 200


# --- throttling --------------------------------------------------------------------------------


def test_wrong_codes_are_throttled_per_account_and_audited(
    app, client, login_as, circle, make_user
):
    result = enrolled(client, login_as, circle.teacher)
    client.post("/sign-in", data={"email": circle.teacher.email, "password": PASSWORD})
    for _ in range(10):
        assert client.post("/sign-in/code", data={"code": "000000"}).status_code == 200
    paused = client.post("/sign-in/code?lang=en", data={"code": totp(result.secret)})
    assert paused.status_code == 429
    assert "Too many wrong codes" in paused.get_data(as_text=True)
    assert client.get("/").status_code == 302
    actions = actions_of(circle.teacher)
    assert actions.count("second_factor_failed") == 10
    assert "second_factor_throttled" in actions
    # Another account from another address is not held up.
    other_client = app.test_client()
    login_as(circle.coach, on=other_client)
    other = enrol_authenticator(other_client)
    fresh = app.test_client()
    fresh.environ_base["REMOTE_ADDR"] = "192.0.2.77"
    # A recovery code: the app's code of this step was spent on the enrolment.
    ok = sign_in_with_code(fresh, circle.coach.email, PASSWORD, other.recovery_codes[0])
    assert ok.status_code == 302


# --- acts that ask for the factor first -------------------------------------------------------


def test_removing_the_app_asks_for_the_factor_first(client, login_as, circle, at_noon):
    result = enrolled(client, login_as, circle.teacher, at=NOON)
    at_noon.shift(timedelta(minutes=1))
    sign_in_with_code(
        client, circle.teacher.email, PASSWORD, totp(result.secret, NOON + timedelta(minutes=1))
    )
    at_noon.shift(timedelta(minutes=15))  # the proof at sign-in is no longer recent
    refused = client.post("/account/authenticator/remove")
    assert refused.status_code == 302 and "/account/confirm" in refused.headers["Location"]
    assert db.session.scalar(select(AuthenticatorApp.id)) is not None
    now = NOON + timedelta(minutes=16)
    confirm = client.post(
        "/account/confirm?next=/account/second-factor", data={"code": totp(result.secret, now)}
    )
    assert confirm.status_code == 302
    removed = client.post("/account/authenticator/remove")
    assert removed.status_code == 302
    assert db.session.scalar(select(AuthenticatorApp.id)) is None
    assert db.session.scalar(select(RecoveryCode.id)) is None
    assert "authenticator_removed" in actions_of(circle.teacher)


def test_changing_the_password_asks_for_the_factor_first(client, login_as, circle, at_noon):
    result = enrolled(client, login_as, circle.teacher, at=NOON)
    at_noon.shift(timedelta(minutes=1))
    sign_in_with_code(
        client, circle.teacher.email, PASSWORD, totp(result.secret, NOON + timedelta(minutes=1))
    )
    at_noon.shift(timedelta(minutes=15))
    before = db.session.get(type(circle.teacher), circle.teacher.id).password_hash
    data = {
        "password-current": PASSWORD,
        "password-password": "een ander goed wachtwoord",
        "password-confirm": "een ander goed wachtwoord",
    }
    refused = client.post("/account", data=data)
    assert refused.status_code == 403
    db.session.expire_all()
    assert db.session.get(type(circle.teacher), circle.teacher.id).password_hash == before
    client.post(
        "/account/confirm", data={"code": totp(result.secret, NOON + timedelta(minutes=16))}
    )
    done = client.post("/account", data=data)
    assert done.status_code == 302


def test_a_key_that_no_longer_decrypts_asks_to_start_again(
    app, client, login_as, circle, monkeypatch
):
    login_as(circle.teacher)
    client.post("/account/authenticator/start")
    stored = db.session.scalar(select(AuthenticatorApp.secret))
    # As after a change of SECRET_KEY (the session's cookie aside).
    monkeypatch.setattr(factors, "_secret_key", lambda: b"another-secret-key-than-before")
    page = client.get("/account/authenticator")
    assert page.status_code == 302 and page.headers["Location"] == "/account/second-factor"
    assert db.session.scalar(select(AuthenticatorApp.secret)) == stored  # a GET changes nothing


def test_the_page_asked_for_before_signing_in_opens_after_the_code(
    client, login_as, circle, at_noon
):
    result = enrolled(client, login_as, circle.teacher, at=NOON)
    at_noon.shift(timedelta(seconds=30))
    target = f"/children/{circle.child.id}"
    client.post(
        f"/sign-in?next={target}",
        data={"email": circle.teacher.email, "password": PASSWORD, "next": target},
    )
    done = client.post(
        "/sign-in/code", data={"code": totp(result.secret, NOON + timedelta(seconds=30))}
    )
    assert done.headers["Location"] == target


def test_a_foreign_next_address_is_not_followed_after_the_code(client, login_as, circle, at_noon):
    result = enrolled(client, login_as, circle.teacher, at=NOON)
    at_noon.shift(timedelta(seconds=30))
    client.post(
        "/sign-in",
        data={"email": circle.teacher.email, "password": PASSWORD, "next": "//evil.example/"},
    )
    done = client.post(
        "/sign-in/code", data={"code": totp(result.secret, NOON + timedelta(seconds=30))}
    )
    assert done.headers["Location"] == "/"
