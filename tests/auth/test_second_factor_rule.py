"""The school's rule "staff must use a second factor", the admin's reset, and parents who may
but never must (SECURITY A.6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.auth.models import AuthenticatorApp, Passkey, RecoveryCode, UserSession
from app.circle.models import School
from app.core.audit import AuditEvent
from app.core.db import db
from tests.support.factors import enrol_authenticator, sign_in_with_code, totp
from tests.support.infra import PASSWORD
from tests.support.soft_passkey import SoftPasskey

NOON = (datetime.now(UTC) + timedelta(days=1)).replace(second=15, microsecond=0)


@pytest.fixture
def strict_school(circle):
    school = db.session.get(School, circle.child.school_id)
    school.staff_second_factor_required = True
    db.session.commit()
    return school


def sign_in(client, user):
    return client.post("/sign-in", data={"email": user.email, "password": PASSWORD})


def test_staff_without_a_factor_are_taken_to_enrolment_and_reach_nothing_else(
    client, circle, strict_school
):
    first = sign_in(client, circle.teacher)
    assert first.status_code == 302 and first.headers["Location"] == "/account/second-factor"
    page = client.get("/account/second-factor?lang=en").get_data(as_text=True)
    assert "Your school asks every staff member to use a second factor" in page
    for url in ["/", f"/children/{circle.child.id}", "/account", "/documents/verify"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"] == "/account/second-factor", url
    refused = client.post(f"/children/{circle.child.id}/edit", data={"name": "Anders"})
    assert refused.status_code == 302
    # Adding the app (confirmed with a first code) opens the portal in the same session.
    enrol_authenticator(client)
    assert client.get("/").status_code == 200
    assert client.get(f"/children/{circle.child.id}").status_code == 200


def test_a_session_that_began_before_the_rule_is_held_at_its_next_request(client, login_as, circle):
    login_as(circle.teacher)
    assert client.get("/").status_code == 200
    school = db.session.get(School, circle.child.school_id)
    school.staff_second_factor_required = True
    db.session.commit()
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/account/second-factor"


def test_staff_with_a_factor_sign_in_in_two_steps_and_reach_everything(
    client, login_as, circle, strict_school
):
    with time_machine.travel(NOON, tick=False) as clock:
        sign_in(client, circle.teacher)
        result = enrol_authenticator(client, NOON)
        client.post("/sign-out")
        clock.shift(timedelta(seconds=30))
        code = totp(result.secret, NOON + timedelta(seconds=30))
        assert sign_in_with_code(client, circle.teacher.email, PASSWORD, code).status_code == 302
        assert client.get(f"/children/{circle.child.id}").status_code == 200


def test_parents_are_offered_a_factor_and_never_forced(client, login_as, circle, strict_school):
    response = sign_in(client, circle.parent)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get(f"/children/{circle.child.id}").status_code == 200
    account = client.get("/account?lang=en").get_data(as_text=True)
    assert "Manage the second factor" in account


def test_the_admin_turns_the_rule_on_and_off_audited(client, login_as, circle, make_user):
    admin = make_user("Beheerder Bea", admin=True)
    login_as(admin)
    page = client.get("/admin/?lang=en").get_data(as_text=True)
    assert "Staff must use a second factor" in page
    client.post("/admin/security", data={"staff_second_factor_required": "y"})
    school = db.session.get(School, circle.child.school_id)
    assert school.staff_second_factor_required is True
    # The rule holds for the admin too: first a factor of their own.
    assert client.get("/admin/").headers["Location"] == "/account/second-factor"
    enrol_authenticator(client)
    client.post("/admin/security", data={})
    db.session.expire_all()
    assert db.session.get(School, circle.child.school_id).staff_second_factor_required is False
    rules = db.session.scalars(
        select(AuditEvent.data).where(AuditEvent.action == "school_second_factor_rule")
    ).all()
    assert len(rules) == 2


def test_the_admin_resets_a_staff_members_factor_who_is_mailed(
    app, client, login_as, circle, make_user, mailbox, strict_school
):
    teacher_client = app.test_client()
    sign_in(teacher_client, circle.teacher)
    enrol_authenticator(teacher_client)
    assert teacher_client.get("/").status_code == 200
    admin = make_user("Beheerder Bea", admin=True)
    login_as(admin)
    enrol_authenticator(client)  # the school's rule holds for its admin too
    page = client.get("/admin/?lang=en").get_data(as_text=True)
    assert f"/admin/staff/{circle.teacher.id}/reset-second-factor" in page
    response = client.post(f"/admin/staff/{circle.teacher.id}/reset-second-factor")
    assert response.status_code == 302
    teacher_factor = select(AuthenticatorApp.id).where(
        AuthenticatorApp.user_id == circle.teacher.id
    )
    assert db.session.scalar(teacher_factor) is None
    assert (
        db.session.scalar(select(RecoveryCode.id).where(RecoveryCode.user_id == circle.teacher.id))
        is None
    )
    # Signed out everywhere, and taken to enrolment at the next sign-in.
    assert (
        db.session.scalar(select(UserSession.id).where(UserSession.user_id == circle.teacher.id))
        is None
    )
    assert teacher_client.get("/").status_code == 302
    again = sign_in(teacher_client, circle.teacher)
    assert again.headers["Location"] == "/account/second-factor"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "second_factor_reset"))
    assert event.actor_id == admin.id and event.object_id == circle.teacher.id
    mail = mailbox.last_to(circle.teacher.email)
    assert "Beheerder Bea" in mailbox.text_of(mail)


def test_an_admin_cannot_reset_their_own_factor_here(client, login_as, make_user, circle):
    admin = make_user("Beheerder Bea", admin=True)
    login_as(admin)
    enrol_authenticator(client)
    response = client.post(f"/admin/staff/{admin.id}/reset-second-factor")
    assert response.status_code == 302
    assert db.session.scalar(select(AuthenticatorApp.confirmed_at)) is not None


def test_staff_of_another_school_cannot_be_reset(client, login_as, make_user, make_school, circle):
    other = make_user("Elders", staff=True, of_school=make_school("Andere school"))
    other_client = client.application.test_client()
    sign_in(other_client, other)
    enrol_authenticator(other_client)
    admin = make_user("Beheerder Bea", admin=True)
    login_as(admin)
    assert client.post(f"/admin/staff/{other.id}/reset-second-factor").status_code == 404
    assert db.session.scalar(select(AuthenticatorApp.confirmed_at)) is not None


def test_enrolling_renews_the_session_token(client, circle, strict_school):
    sign_in(client, circle.teacher)
    with client.session_transaction() as cookie:
        before = cookie["sid"]
    enrol_authenticator(client)
    with client.session_transaction() as cookie:
        after = cookie["sid"]
    assert after != before
    assert client.get("/").status_code == 200
    # The old token opens nothing any more.
    with client.session_transaction() as cookie:
        cookie["sid"] = before
    assert client.get("/").status_code == 302


def test_the_last_factor_stays_where_the_school_requires_one(app, client, circle, strict_school):
    sign_in(client, circle.teacher)
    enrol_authenticator(client)  # a fresh proof: removing is not held up by asking again
    refused = client.post("/account/authenticator/remove")
    assert refused.headers["Location"] == "/account/second-factor"
    assert db.session.scalar(select(AuthenticatorApp.confirmed_at)) is not None
    # With a passkey beside it, the app may go.
    device = SoftPasskey()
    options = client.post("/account/passkeys/options").get_json()
    client.post("/account/passkeys", json={"credential": device.create(options), "name": "Sleutel"})
    client.post("/account/authenticator/remove")
    assert db.session.scalar(select(AuthenticatorApp.id)) is None
    # …and the passkey, now the last one, stays.
    key = db.session.scalar(select(Passkey.id))
    client.post("/account/passkeys/remove", data={"passkey_id": key})
    assert db.session.scalar(select(Passkey.id)) == key
