"""The school admin lifts the sign-in pause of a staff account of the school (issue 15 item 8)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.auth import services as auth
from app.core.audit import AuditEvent
from app.core.db import db
from tests.support.infra import PASSWORD

WRONG = "een fout wachtwoord"


@pytest.fixture
def admin(make_user):
    return make_user("Beheerder Bea", admin=True)


def sign_in(client, email: str, password: str, address: str = "192.0.2.10"):
    return client.post(
        "/sign-in",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def pause(app, teacher) -> None:
    """Ten wrong passwords from one address: the account's sign-in is paused."""
    guesser = app.test_client()
    for _ in range(10):
        assert sign_in(guesser, teacher.email, WRONG).status_code == 200
    assert sign_in(app.test_client(), teacher.email, PASSWORD, "198.51.100.7").status_code == 429


def lifted_events() -> int:
    return db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "sign_in_pause_lifted")
    )


def test_admin_lets_a_paused_teacher_sign_in_again_and_it_is_audited(
    app, client, login_as, admin, circle
):
    teacher = circle.teacher
    pause(app, teacher)
    login_as(admin)
    page = client.get("/admin/").get_data(as_text=True)
    assert "aanmelden gepauzeerd na te veel pogingen" in page
    assert f"/admin/staff/{teacher.id}/unlock" in page
    assert f"/admin/staff/{admin.id}/unlock" not in page  # only the paused account

    response = client.post(f"/admin/staff/{teacher.id}/unlock", follow_redirects=True)
    body = response.get_data(as_text=True)
    assert f"{teacher.name} kan nu weer aanmelden." in body
    assert f"/admin/staff/{teacher.id}/unlock" not in body

    assert sign_in(app.test_client(), teacher.email, PASSWORD).status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sign_in_pause_lifted"))
    assert event.actor_id == admin.id and event.object_id == teacher.id


def test_an_account_that_is_not_paused_is_refused_and_nothing_is_audited(
    client, login_as, admin, circle
):
    login_as(admin)
    response = client.post(f"/admin/staff/{circle.teacher.id}/unlock", follow_redirects=True)
    assert f"Aanmelden is niet gepauzeerd voor {circle.teacher.name}." in response.get_data(
        as_text=True
    )
    assert lifted_events() == 0


def test_a_forged_unlock_changes_nothing(app, client, login_as, admin, circle, monkeypatch):
    pause(app, circle.teacher)
    login_as(admin)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post(f"/admin/staff/{circle.teacher.id}/unlock")
    assert response.status_code == 400
    assert lifted_events() == 0
    with app.app_context():
        assert auth.sign_in_paused(circle.teacher.email)


def test_only_the_schools_admin_may_lift_a_pause(
    app, client, login_as, admin, circle, make_school, make_user
):
    teacher = circle.teacher
    pause(app, teacher)
    url = f"/admin/staff/{teacher.id}/unlock"
    other_admin = make_user("Beheerder Elders", admin=True, of_school=make_school("Andere School"))
    for visitor, status in [
        (circle.coach, 403),
        (circle.specialist, 403),
        (circle.parent, 403),
        (other_admin, 404),
    ]:
        login_as(visitor)
        assert client.post(url).status_code == status, visitor.name
        client.post("/sign-out")
    assert app.test_client().post(url).status_code == 302  # anonymous: to sign in
    login_as(admin)
    assert client.post(f"/admin/staff/{circle.parent.id}/unlock").status_code == 404
    assert client.post("/admin/staff/999999/unlock").status_code == 404
    assert lifted_events() == 0
    assert sign_in(app.test_client(), teacher.email, PASSWORD).status_code == 429
