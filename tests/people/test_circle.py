"""Opening a trajectory, the child's page, inviting, removing, and ids from other circles."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.circle.models import Child, Invitation, Membership, Role, User
from app.core.audit import AuditEvent
from app.core.db import db, utcnow
from tests.support.infra import PASSWORD
from tests.support.people import invite

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- opening a trajectory -------------------------------------------------------------------

TRAJECTORY = {
    "name": "Lotte Mulder",
    "date_of_birth": "2018-02-11",
    "group_name": "groep 4",
    "guiding_question": "Wat heeft Lotte nodig om hulp te vragen als ze vastloopt?",
}


def test_staff_member_opens_a_trajectory_and_becomes_its_coach(client, login_as, make_user):
    coach = make_user("Coach Kees", staff=True)
    login_as(coach)
    response = client.post("/children/new", data=TRAJECTORY)
    assert response.status_code == 302
    child = db.session.scalar(select(Child).where(Child.name == "Lotte Mulder"))
    assert response.headers["Location"] == f"/children/{child.id}"
    role = db.session.scalar(select(Membership.role).where(Membership.child_id == child.id))
    assert role is Role.COACH
    page = client.get(f"/children/{child.id}").get_data(as_text=True)
    assert 'class="guiding-question"' in page
    assert TRAJECTORY["guiding_question"] in page
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.child_id == child.id)
    ).all()
    assert "trajectory_opened" in actions and "member_added" in actions


@pytest.mark.parametrize(
    "field, value",
    [
        ("name", ""),
        ("name", "x" * 121),
        ("date_of_birth", "not a date"),
        ("date_of_birth", (date.today() + timedelta(days=3)).isoformat()),
        ("date_of_birth", "1970-01-01"),
        ("group_name", ""),
        ("guiding_question", ""),
        ("guiding_question", "?" * 1001),
    ],
)
def test_bad_trajectory_input_is_refused_and_nothing_stored(
    client, login_as, make_user, field, value
):
    login_as(make_user(staff=True))
    before = count(Child)
    response = client.post("/children/new", data={**TRAJECTORY, field: value})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'class="field-error"' in page and f'id="{field}-error"' in page
    assert count(Child) == before


def test_parent_cannot_open_a_trajectory(client, login_as, circle):
    login_as(circle.parent)
    assert client.post("/children/new", data=TRAJECTORY).status_code == 403
    assert db.session.scalar(select(Child).where(Child.name == "Lotte Mulder")) is None


def test_coach_edits_the_guiding_question(client, login_as, circle):
    login_as(circle.coach)
    data = {**TRAJECTORY, "name": circle.child.name, "guiding_question": "Een nieuwe vraag?"}
    assert client.post(f"/children/{circle.child.id}/edit", data=data).status_code == 302
    assert "Een nieuwe vraag?" in client.get(f"/children/{circle.child.id}").get_data(as_text=True)


def test_teacher_cannot_edit_the_child(client, login_as, circle):
    login_as(circle.teacher)
    data = {**TRAJECTORY, "guiding_question": "Gewijzigd?"}
    assert client.post(f"/children/{circle.child.id}/edit", data=data).status_code == 403
    assert db.session.get(Child, circle.child.id).guiding_question != "Gewijzigd?"


# --- the child's page -----------------------------------------------------------------------


def test_parent_sees_child_question_and_circle_but_no_coach_actions(client, login_as, circle):
    login_as(circle.parent)
    page = client.get(f"/children/{circle.child.id}").get_data(as_text=True)
    assert circle.child.guiding_question in page
    for person in (circle.coach, circle.teacher, circle.parent2):
        assert person.name in page
    assert f"/children/{circle.child.id}/invite" not in page
    assert "/remove" not in page
    assert circle.coach.email not in page  # names and roles, not addresses


def test_home_lists_only_my_children(client, login_as, circle, make_child, make_user):
    other = make_child("Kind Van Een Ander", coach=make_user(staff=True))
    login_as(circle.parent)
    page = client.get("/").get_data(as_text=True)
    assert circle.child.name in page
    assert other.name not in page


@pytest.mark.parametrize("child_id", [999999, -1])
def test_unknown_child_id_is_404(client, login_as, circle, child_id):
    login_as(circle.coach)
    assert client.get(f"/children/{child_id}").status_code == 404


def test_school_admin_sees_names_only_and_no_child_page(client, login_as, circle, make_user):
    admin = make_user("Beheerder", admin=True)
    login_as(admin)
    assert client.get(f"/children/{circle.child.id}").status_code == 404
    page = client.get("/admin/").get_data(as_text=True)
    assert circle.child.name in page
    assert circle.child.guiding_question not in page
    assert circle.parent.name not in page


# --- inviting -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"email": "not-an-address"}, "email"),
        ({"email": ""}, "email"),
        ({"email": "a" * 250 + "@example.nl"}, "email"),
        ({"name": ""}, "name"),
        ({"name": "n" * 121}, "name"),
        ({"role": "headmaster"}, "role"),
        ({"role": "specialist"}, "access_until"),
        ({"role": "specialist", "access_until": "2001-01-01"}, "access_until"),
        ({"language": "xx"}, "language"),
    ],
)
def test_bad_invitation_input_is_refused_and_nothing_sent(
    client, login_as, circle, mailbox, overrides, field
):
    login_as(circle.coach)
    before = count(Invitation)
    response = invite(client, circle.child, **overrides)
    assert response.status_code == 200
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert count(Invitation) == before
    assert mailbox.messages == []


def test_inviting_someone_already_in_the_circle_is_refused(client, login_as, circle, mailbox):
    login_as(circle.coach)
    response = invite(client, circle.child, email=circle.parent.email.upper())
    assert response.status_code == 200
    assert 'id="email-error"' in response.get_data(as_text=True)
    assert count(Invitation) == 0 and mailbox.messages == []


def test_a_second_open_invitation_to_the_same_address_is_refused(client, login_as, circle, mailbox):
    login_as(circle.coach)
    invite(client, circle.child)
    response = invite(client, circle.child)
    assert 'id="email-error"' in response.get_data(as_text=True)
    assert count(Invitation) == 1 and len(mailbox.messages) == 1


def test_extra_form_fields_cannot_change_child_or_role(
    client, login_as, circle, make_child, make_user
):
    other = make_child("Ander Kind", coach=make_user(staff=True))
    login_as(circle.coach)
    invite(client, circle.child, child_id=str(other.id), is_staff="1", school_id="999")
    invitation = db.session.scalar(select(Invitation))
    assert invitation.child_id == circle.child.id and invitation.role is Role.PARENT


def _accept(client, mailbox, address, password="zon en zee 2026"):  # noqa: S107
    link = mailbox.link_in(mailbox.last_to(address))
    return client.post(
        link, data={"name": "Nieuw", "password": password, "confirm": password, "language": "nl"}
    )


def test_expired_invitation_says_so_and_creates_nothing(client, login_as, circle, mailbox):
    login_as(circle.coach)
    invite(client, circle.child)
    client.post("/sign-out")
    invitation = db.session.scalar(select(Invitation))
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    users = count(User)
    response = _accept(client, mailbox, "olga@example.nl")
    assert response.status_code == 410
    assert count(User) == users


def test_invitation_for_a_removed_child_no_longer_works(client, login_as, circle, mailbox):
    login_as(circle.coach)
    invite(client, circle.child)
    client.post("/sign-out")
    link = mailbox.link_in(mailbox.last_to("olga@example.nl"))
    db.session.delete(db.session.get(Child, circle.child.id))
    db.session.commit()
    users = count(User)
    assert client.get(link).status_code == 404
    assert _accept(client, mailbox, "olga@example.nl").status_code == 404
    assert count(User) == users


def test_invitation_for_an_ended_trajectory_no_longer_works(client, login_as, circle, mailbox):
    login_as(circle.coach)
    invite(client, circle.child)
    client.post("/sign-out")
    db.session.get(Child, circle.child.id).ended_on = utcnow().date() - timedelta(days=1)
    db.session.commit()
    assert _accept(client, mailbox, "olga@example.nl").status_code == 410


def test_withdrawn_invitation_no_longer_works(client, login_as, circle, mailbox):
    login_as(circle.coach)
    invite(client, circle.child)
    invitation = db.session.scalar(select(Invitation))
    assert (
        client.post(f"/children/{circle.child.id}/invitations/{invitation.id}/withdraw").status_code
        == 302
    )
    client.post("/sign-out")
    assert _accept(client, mailbox, "olga@example.nl").status_code == 410


def test_made_up_token_is_refused(client):
    assert client.get("/invitation?token=made-up").status_code == 404
    assert client.get("/invitation").status_code == 404


def test_weak_password_when_accepting_is_refused(client, login_as, circle, mailbox):
    login_as(circle.coach)
    invite(client, circle.child)
    client.post("/sign-out")
    users = count(User)
    response = _accept(client, mailbox, "olga@example.nl", password="password1")
    assert response.status_code == 200 and 'id="password-error"' in response.get_data(as_text=True)
    assert count(User) == users


def test_existing_account_signs_in_to_accept(client, login_as, circle, make_user, mailbox):
    teacher = make_user("Meester Mo", email="mo@example.nl", staff=True)
    login_as(circle.coach)
    invite(client, circle.child, email="mo@example.nl", role="teacher", name="Mo")
    client.post("/sign-out")
    link = mailbox.link_in(mailbox.last_to("mo@example.nl"))
    page = client.get(link)
    assert page.status_code == 200 and 'name="password"' not in page.get_data(as_text=True)
    login_as(teacher)
    response = client.post(link)
    assert response.status_code == 302
    assert client.get(f"/children/{circle.child.id}").status_code == 200


def test_invitation_cannot_be_taken_by_another_signed_in_account(client, login_as, circle, mailbox):
    login_as(circle.coach)
    invite(client, circle.child)
    link = mailbox.link_in(mailbox.last_to("olga@example.nl"))
    client.post("/sign-out")
    login_as(circle.parent2)
    assert client.post(link).status_code == 409
    assert db.session.scalar(select(Invitation.accepted_at)) is None


def test_specialist_access_ends_on_the_date_given(client, login_as, circle, mailbox):
    login_as(circle.coach)
    until = (utcnow().date() + timedelta(days=30)).isoformat()
    invite(client, circle.child, email="spec@example.nl", role="specialist", access_until=until)
    client.post("/sign-out")
    _accept(client, mailbox, "spec@example.nl")
    membership = db.session.scalar(
        select(Membership).where(Membership.role == Role.SPECIALIST).order_by(Membership.id.desc())
    )
    assert membership.active_until is not None
    # Up to and including that day in the Netherlands.
    assert membership.active_until.astimezone(AMSTERDAM).date().isoformat() == until
    assert client.get(f"/children/{circle.child.id}").status_code == 200
    membership = db.session.get(Membership, membership.id)
    membership.active_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(f"/children/{circle.child.id}").status_code == 404


# --- removing and foreign ids ---------------------------------------------------------------


def _membership_of(child, user) -> Membership:
    return db.session.scalar(
        select(Membership).where(Membership.child_id == child.id, Membership.user_id == user.id)
    )


def test_removal_takes_effect_on_the_members_next_request(app, client, login_as, circle):
    parent_client = login_as(circle.parent, on=app.test_client())
    assert parent_client.get(f"/children/{circle.child.id}").status_code == 200

    login_as(circle.coach)
    membership = _membership_of(circle.child, circle.parent)
    confirm = client.get(f"/children/{circle.child.id}/members/{membership.id}/remove")
    assert confirm.status_code == 200 and circle.parent.name in confirm.get_data(as_text=True)
    assert _membership_of(circle.child, circle.parent).active_until is None  # GET changed nothing
    assert (
        client.post(f"/children/{circle.child.id}/members/{membership.id}/remove").status_code
        == 302
    )

    assert parent_client.get(f"/children/{circle.child.id}").status_code == 404
    assert circle.child.name not in parent_client.get("/").get_data(as_text=True)
    assert "member_removed" in db.session.scalars(select(AuditEvent.action)).all()


def test_the_last_coach_cannot_be_removed(client, login_as, circle):
    login_as(circle.coach)
    membership = _membership_of(circle.child, circle.coach)
    response = client.post(f"/children/{circle.child.id}/members/{membership.id}/remove")
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert page.status_code == 200  # still the coach: the child's page opens
    assert "Een kring heeft altijd een coach nodig." in page.get_data(as_text=True)
    assert _membership_of(circle.child, circle.coach).active_until is None
    assert "member_removed" not in db.session.scalars(select(AuditEvent.action)).all()


def test_ids_from_another_circle_give_404_and_change_nothing(
    client, login_as, circle, make_child, make_user
):
    other_coach = make_user(staff=True)
    other_parent = make_user()
    other = make_child("Ander Kind", coach=other_coach, parents=(other_parent,))
    foreign_membership = _membership_of(other, other_parent)
    foreign_invitation = Invitation(
        child_id=other.id, email="x@example.nl", name="X", role=Role.PARENT,
        token_hash="e" * 64, expires_at=utcnow() + timedelta(days=1),
    )  # fmt: skip
    db.session.add(foreign_invitation)
    db.session.commit()

    login_as(circle.coach)
    own = circle.child.id
    assert client.post(f"/children/{own}/members/{foreign_membership.id}/remove").status_code == 404
    assert client.get(f"/children/{own}/members/{foreign_membership.id}/remove").status_code == 404
    assert (
        client.post(f"/children/{own}/invitations/{foreign_invitation.id}/withdraw").status_code
        == 404
    )
    # ... and the foreign child's own URL is equally closed.
    assert (
        client.post(f"/children/{other.id}/members/{foreign_membership.id}/remove").status_code
        == 404
    )
    assert _membership_of(other, other_parent).active_until is None
    assert db.session.get(Invitation, foreign_invitation.id).revoked_at is None


def test_password_of_new_account_is_hashed(client, login_as, circle, mailbox):
    login_as(circle.coach)
    invite(client, circle.child)
    client.post("/sign-out")
    _accept(client, mailbox, "olga@example.nl", password=PASSWORD)
    user = db.session.scalar(select(User).where(User.email == "olga@example.nl"))
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
