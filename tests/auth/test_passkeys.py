"""Passkeys (WebAuthn): registering, naming, removing, using one as the second step, to
confirm an act, or as the whole sign-in where the school allows; and everything a device or
a forger may send wrong (SECURITY A.6). The device here is a passkey in software
(tests/support/soft_passkey.py); tests/e2e/test_passkey_journey.py uses chromium's own."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.auth.models import Passkey, UserSession
from app.circle.models import School
from app.core.audit import AuditEvent
from app.core.db import db
from app.core.signin import SignInMethod
from tests.support.infra import PASSWORD
from tests.support.soft_passkey import SoftPasskey, b64url


def post_json(client, url, body=None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


def register(client, device: SoftPasskey, name="Telefoon", **create):
    options = post_json(client, "/account/passkeys/options").get_json()
    credential = device.create(options, **create)
    return post_json(client, "/account/passkeys", {"credential": credential, "name": name})


def use(client, device: SoftPasskey, url="/passkey/verify", **get):
    options = post_json(client, "/passkey/options").get_json()
    return post_json(client, url, {"credential": device.get(options, **get)})


@pytest.fixture
def device():
    return SoftPasskey()


@pytest.fixture
def teacher_with_passkey(client, login_as, circle, device):
    login_as(circle.teacher)
    assert register(client, device).status_code == 200
    client.post("/sign-out")
    return circle.teacher


def methods_of(user):
    return set(db.session.scalars(select(UserSession.method).where(UserSession.user_id == user.id)))


def actions():
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


# --- registering ---------------------------------------------------------------------------


def test_register_a_passkey_for_this_site(client, login_as, circle, device):
    login_as(circle.teacher)
    options = post_json(client, "/account/passkeys/options").get_json()
    assert options["rp"] == {"id": "localhost", "name": "Beeldbrug"}
    answer = post_json(
        client, "/account/passkeys", {"credential": device.create(options), "name": "Telefoon"}
    )
    assert answer.status_code == 200 and answer.get_json()["redirect"] == "/account/second-factor"
    row = db.session.scalar(select(Passkey))
    assert row.user_id == circle.teacher.id and row.name == "Telefoon"
    assert row.credential_id == b64url(device.credential_id)
    assert "passkey_added" in actions()
    page = client.get("/account/second-factor").get_data(as_text=True)
    assert "Telefoon" in page


def test_register_several_passkeys(client, login_as, circle):
    login_as(circle.teacher)
    assert register(client, SoftPasskey(), "Telefoon").status_code == 200
    second = SoftPasskey()
    options = post_json(client, "/account/passkeys/options").get_json()
    # The first is named, so the device does not make a second one for the same account.
    assert len(options["excludeCredentials"]) == 1
    answer = post_json(
        client, "/account/passkeys", {"credential": second.create(options), "name": "Laptop"}
    )
    assert answer.status_code == 200
    assert sorted(db.session.scalars(select(Passkey.name))) == ["Laptop", "Telefoon"]


@pytest.mark.parametrize(
    "create",
    [
        {"origin": "https://beeldbrug.evil.example"},
        {"origin": "http://localhost:8081"},
        {"rp_id": "evil.example"},
    ],
)
def test_a_passkey_made_for_another_origin_or_site_is_refused(
    client, login_as, circle, device, create
):
    login_as(circle.teacher)
    answer = register(client, device, **create)
    assert answer.status_code == 400
    assert answer.get_json()["error"]
    assert db.session.scalar(select(Passkey.id)) is None


def test_a_registration_needs_its_own_fresh_challenge(client, login_as, circle, device):
    login_as(circle.teacher)
    options = post_json(client, "/account/passkeys/options").get_json()
    options["challenge"] = b64url(b"a challenge the server never gave")
    answer = post_json(client, "/account/passkeys", {"credential": device.create(options)})
    assert answer.status_code == 400
    # …and without any options asked first.
    again = post_json(client, "/account/passkeys", {"credential": device.create(options)})
    assert again.status_code == 400
    assert db.session.scalar(select(Passkey.id)) is None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"credential": "not an object"},
        {"credential": {"id": "x", "response": {}}},
        {"credential": {"id": "x"}, "name": "Een\nnaam"},
    ],
)
def test_a_malformed_registration_gets_a_clear_message_and_stores_nothing(
    client, login_as, circle, body
):
    login_as(circle.teacher)
    post_json(client, "/account/passkeys/options")
    answer = post_json(client, "/account/passkeys?lang=en", body)
    assert answer.status_code == 400
    assert answer.get_json()["error"]
    assert db.session.scalar(select(Passkey.id)) is None


def test_a_name_over_the_cap_is_refused(client, login_as, circle, device):
    login_as(circle.teacher)
    answer = register(client, device, name="x" * 61)
    assert answer.status_code == 400
    assert db.session.scalar(select(Passkey.id)) is None


# --- the second step ---------------------------------------------------------------------------


def test_sign_in_with_the_password_and_a_passkey(client, teacher_with_passkey, device):
    first = client.post(
        "/sign-in", data={"email": teacher_with_passkey.email, "password": PASSWORD}
    )
    assert first.headers["Location"].endswith("/sign-in/code")
    page = client.get("/sign-in/code").get_data(as_text=True)
    assert 'data-passkey="use"' in page
    options = post_json(client, "/passkey/options").get_json()
    assert [c["id"] for c in options["allowCredentials"]] == [b64url(device.credential_id)]
    answer = post_json(client, "/passkey/verify", {"credential": device.get(options)})
    assert answer.status_code == 200 and answer.get_json()["redirect"] == "/"
    assert client.get("/").status_code == 200
    assert SignInMethod.PASSWORD_PASSKEY in methods_of(teacher_with_passkey)
    row = db.session.scalar(select(Passkey))
    assert row.sign_count == 1 and row.last_used_at is not None


def test_a_wrong_challenge_is_refused_and_audited(client, teacher_with_passkey, device):
    client.post("/sign-in", data={"email": teacher_with_passkey.email, "password": PASSWORD})
    options = post_json(client, "/passkey/options").get_json()
    options["challenge"] = b64url(b"another challenge")
    answer = post_json(client, "/passkey/verify?lang=en", {"credential": device.get(options)})
    assert answer.status_code == 400
    assert "not accepted" in answer.get_json()["error"]
    assert client.get("/").status_code == 302
    assert "passkey_failed" in actions()


@pytest.mark.parametrize("get", [{"origin": "https://evil.example"}, {"rp_id": "evil.example"}])
def test_an_assertion_for_another_origin_or_site_is_refused(
    client, teacher_with_passkey, device, get
):
    client.post("/sign-in", data={"email": teacher_with_passkey.email, "password": PASSWORD})
    assert use(client, device, **get).status_code == 400
    assert client.get("/").status_code == 302


def test_a_counter_that_goes_back_is_refused(client, teacher_with_passkey, device):
    client.post("/sign-in", data={"email": teacher_with_passkey.email, "password": PASSWORD})
    assert use(client, device).status_code == 200
    client.post("/sign-out")
    client.post("/sign-in", data={"email": teacher_with_passkey.email, "password": PASSWORD})
    assert use(client, device, counter_step=0).status_code == 400  # a copy of the key
    assert client.get("/").status_code == 302


def test_an_assertion_cannot_be_sent_twice(client, teacher_with_passkey, device):
    client.post("/sign-in", data={"email": teacher_with_passkey.email, "password": PASSWORD})
    options = post_json(client, "/passkey/options").get_json()
    credential = device.get(options)
    client.post("/sign-in", data={"email": teacher_with_passkey.email, "password": PASSWORD})
    # The challenge is spent by the first answer, right or wrong.
    post_json(client, "/passkey/verify", {"credential": {"id": "garbage"}})
    assert post_json(client, "/passkey/verify", {"credential": credential}).status_code == 400


def test_another_accounts_passkey_is_refused_as_second_step(
    client, login_as, circle, teacher_with_passkey, device
):
    login_as(circle.coach)
    register(client, SoftPasskey())
    client.post("/sign-out")
    client.post("/sign-in", data={"email": circle.coach.email, "password": PASSWORD})
    assert use(client, device).status_code == 400
    assert client.get("/").status_code == 302


# --- the whole sign-in -------------------------------------------------------------------------


def allow_passkey_sign_in(circle):
    school = db.session.get(School, circle.child.school_id)
    school.passkey_sign_in_allowed = True
    db.session.commit()


def test_a_passkey_alone_signs_in_where_the_school_allows(
    client, circle, teacher_with_passkey, device
):
    assert post_json(client, "/passkey/options").status_code == 404
    assert 'data-passkey="use"' not in client.get("/sign-in").get_data(as_text=True)
    allow_passkey_sign_in(circle)
    assert 'data-passkey="use"' in client.get("/sign-in").get_data(as_text=True)
    options = post_json(client, "/passkey/options").get_json()
    assert options["userVerification"] == "required" and options["allowCredentials"] == []
    answer = post_json(client, "/passkey/verify", {"credential": device.get(options)})
    assert answer.status_code == 200
    assert client.get("/").status_code == 200
    assert SignInMethod.PASSKEY in methods_of(teacher_with_passkey)


def test_a_passkey_alone_needs_the_device_to_check_the_person(
    client, circle, teacher_with_passkey, device
):
    allow_passkey_sign_in(circle)
    assert use(client, device, verified=False).status_code == 400
    assert client.get("/").status_code == 302


def test_a_parent_signs_in_with_a_passkey_alone_through_the_childs_school(
    client, login_as, circle, device
):
    login_as(circle.parent)
    register(client, device)
    client.post("/sign-out")
    allow_passkey_sign_in(circle)
    assert use(client, device).status_code == 200
    assert client.get(f"/children/{circle.child.id}").status_code == 200


# --- naming and removing ---------------------------------------------------------------------


def test_rename_a_passkey_and_bad_names_change_nothing(client, login_as, circle, device):
    login_as(circle.teacher)
    register(client, device)
    row_id = db.session.scalar(select(Passkey.id))
    client.post("/account/passkeys/name", data={"passkey_id": row_id, "name": "Werktelefoon"})
    assert db.session.scalar(select(Passkey.name)) == "Werktelefoon"
    for bad in ["Een\nnaam", "x" * 61, ""]:
        answer = client.post(
            "/account/passkeys/name?lang=en", data={"passkey_id": row_id, "name": bad}
        )
        assert answer.status_code == 302
        db.session.expire_all()
        assert db.session.scalar(select(Passkey.name)) == "Werktelefoon"
    for bad_id in ["abc", "99999999999999999999", "-1"]:
        answer = client.post("/account/passkeys/name", data={"passkey_id": bad_id, "name": "X"})
        assert answer.status_code == 302
    assert db.session.scalar(select(Passkey.name)) == "Werktelefoon"


def test_another_accounts_passkey_cannot_be_renamed_or_removed(client, login_as, circle, device):
    login_as(circle.teacher)
    register(client, device)
    row_id = db.session.scalar(select(Passkey.id))
    client.post("/sign-out")
    login_as(circle.coach)
    client.post("/account/passkeys/name", data={"passkey_id": row_id, "name": "Van mij"})
    client.post("/account/passkeys/remove", data={"passkey_id": row_id})
    row = db.session.scalar(select(Passkey))
    assert row is not None and row.name == "Telefoon"


def test_removing_a_passkey_asks_for_the_factor_first(
    app, client, circle, teacher_with_passkey, device
):
    client.post("/sign-in", data={"email": teacher_with_passkey.email, "password": PASSWORD})
    use(client, device)
    row_id = db.session.scalar(select(Passkey.id))
    with client.session_transaction() as cookie:
        cookie["factor_at"] = 0  # the proof at sign-in is long ago
    refused = client.post("/account/passkeys/remove", data={"passkey_id": row_id})
    assert "/account/confirm" in refused.headers["Location"]
    assert db.session.scalar(select(Passkey.id)) == row_id
    # Confirming with the passkey itself opens it.
    confirmed = use(client, device, url="/passkey/verify?next=/account/second-factor")
    assert confirmed.get_json()["redirect"] == "/account/second-factor"
    client.post("/account/passkeys/remove", data={"passkey_id": row_id})
    assert db.session.scalar(select(Passkey.id)) is None
    assert "passkey_removed" in actions()


def test_a_passkey_meets_the_schools_rule(client, circle, device):
    school = db.session.get(School, circle.child.school_id)
    school.staff_second_factor_required = True
    db.session.commit()
    client.post("/sign-in", data={"email": circle.teacher.email, "password": PASSWORD})
    assert client.get("/").headers["Location"] == "/account/second-factor"
    assert register(client, device).status_code == 200
    assert client.get("/").status_code == 200


def test_the_admin_reset_removes_passkeys(
    client, login_as, circle, make_user, teacher_with_passkey
):
    admin = make_user("Beheerder Bea", admin=True)
    login_as(admin)
    client.post(f"/admin/staff/{teacher_with_passkey.id}/reset-second-factor")
    assert db.session.scalar(select(Passkey.id)) is None


def test_wrong_passkeys_are_throttled_like_codes(client, teacher_with_passkey, device):
    client.post("/sign-in", data={"email": teacher_with_passkey.email, "password": PASSWORD})
    for _ in range(10):
        assert use(client, device, origin="https://evil.example").status_code == 400
    paused = use(client, device, url="/passkey/verify?lang=en")
    assert paused.status_code == 429
    assert "Too many attempts" in paused.get_json()["error"]
    assert client.get("/").status_code == 302
    assert "second_factor_throttled" in actions()
