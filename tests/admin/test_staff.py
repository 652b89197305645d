"""The school admin: staff accounts, and nothing of the children beyond their names."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.auth.models import UserSession
from app.circle.models import School, User
from app.core.audit import AuditEvent
from app.core.db import db


@pytest.fixture
def admin(make_user):
    return make_user("Beheerder Bea", admin=True)


def test_admin_creates_a_staff_account_who_chooses_a_password(client, login_as, admin, mailbox):
    login_as(admin)
    response = client.post(
        "/admin/staff/new",
        data={"name": "Juf Noor", "email": "Noor@School.example", "language": "nl"},
    )
    assert response.status_code == 302
    noor = db.session.scalar(select(User).where(User.email == "noor@school.example"))
    assert noor.is_staff and not noor.is_school_admin and noor.school_id == admin.school_id
    assert noor.password_hash is None
    link = mailbox.link_in(mailbox.last_to("noor@school.example"))
    client.post("/sign-out")
    assert (
        client.post(
            link, data={"password": "mijn eerste wachtwoord", "confirm": "mijn eerste wachtwoord"}
        ).status_code
        == 302
    )
    assert (
        client.post(
            "/sign-in", data={"email": "noor@school.example", "password": "mijn eerste wachtwoord"}
        ).status_code
        == 302
    )


@pytest.mark.parametrize(
    "data, field",
    [
        ({"name": "", "email": "x@school.example", "language": "nl"}, "name"),
        ({"name": "X", "email": "geen adres", "language": "nl"}, "email"),
        ({"name": "X" * 121, "email": "x@school.example", "language": "nl"}, "name"),
    ],
)
def test_bad_staff_input_is_refused(client, login_as, admin, data, field):
    login_as(admin)
    before = db.session.scalar(select(func.count(User.id)))
    response = client.post("/admin/staff/new", data=data)
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == before


def test_duplicate_staff_address_is_refused(client, login_as, admin, circle):
    login_as(admin)
    response = client.post(
        "/admin/staff/new",
        data={"name": "Dubbel", "email": circle.parent.email.upper(), "language": "nl"},
    )
    assert 'id="email-error"' in response.get_data(as_text=True)
    assert (
        db.session.scalar(select(func.count(User.id)).where(User.email == circle.parent.email)) == 1
    )


def test_deactivation_signs_the_person_out_at_once(app, client, login_as, admin, circle):
    teacher_client = login_as(circle.teacher, on=app.test_client())
    login_as(admin)
    assert client.post(f"/admin/staff/{circle.teacher.id}/deactivate").status_code == 302
    assert teacher_client.get("/").status_code == 302
    assert (
        db.session.scalar(
            select(func.count(UserSession.id)).where(UserSession.user_id == circle.teacher.id)
        )
        == 0
    )
    client.post(f"/admin/staff/{circle.teacher.id}/reactivate")
    assert not db.session.get(User, circle.teacher.id).is_deactivated


def test_admin_cannot_deactivate_themselves(client, login_as, admin):
    login_as(admin)
    response = client.post(f"/admin/staff/{admin.id}/deactivate")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    page = client.get("/admin/")
    assert page.status_code == 200  # still signed in: the session was not ended
    assert "Je kunt je eigen account niet deactiveren." in page.get_data(as_text=True)
    assert not db.session.get(User, admin.id).is_deactivated
    assert (
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "staff_deactivated")
        )
        == 0
    )


def test_staff_of_another_school_or_a_parent_is_404(
    client, login_as, admin, make_school, make_user, circle
):
    other = make_user("Elders", staff=True, of_school=make_school("Andere School"))
    login_as(admin)
    assert client.post(f"/admin/staff/{other.id}/deactivate").status_code == 404
    assert client.post(f"/admin/staff/{circle.parent.id}/deactivate").status_code == 404
    assert not db.session.get(User, other.id).is_deactivated


def test_admin_page_lists_only_own_school(
    client, login_as, admin, make_school, make_user, make_child
):
    elsewhere = make_school("Andere School")
    make_child("Kind Elders", coach=make_user(staff=True, of_school=elsewhere), of_school=elsewhere)
    login_as(admin)
    assert "Kind Elders" not in client.get("/admin/").get_data(as_text=True)


def test_create_school_command(runner, mailbox):
    result = runner.invoke(
        args=[
            "create-school",
            "--name",
            "IKC Het Anker",
            "--admin-email",
            "directie@anker.example",
            "--admin-name",
            "Jolien",
        ]
    )
    assert result.exit_code == 0, result.output
    admin = db.session.scalar(select(User).where(User.email == "directie@anker.example"))
    assert admin.is_school_admin and admin.school.name == "IKC Het Anker"
    assert "/reset?token=" in mailbox.text_of(mailbox.last_to("directie@anker.example"))


@pytest.mark.parametrize(
    "option, bad",
    [
        ("--name", "IKC Het\nAnker"),
        ("--name", "IKC Het\u202eAnker"),
        ("--city", "Den\u200bHelder"),
        ("--admin-name", "Jolien\r\nBcc: x@example.nl"),
    ],
)
def test_create_school_refuses_a_name_of_more_than_one_line(runner, mailbox, option, bad):
    args = {
        "--name": "IKC Het Anker",
        "--city": "Den Helder",
        "--admin-email": "directie@anker.example",
        "--admin-name": "Jolien",
    }
    args[option] = bad
    result = runner.invoke(args=["create-school", *(x for pair in args.items() for x in pair)])
    assert result.exit_code != 0
    assert "one line" in result.output
    assert db.session.scalar(select(User).where(User.email == "directie@anker.example")) is None
    assert db.session.scalar(select(School).where(School.name.like("IKC%"))) is None
