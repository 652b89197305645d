"""Inviting into a circle: the mail, accepting with a new or existing account, bad links."""

from __future__ import annotations

from sqlalchemy import select

from app.circle.models import Invitation, Membership, Role, User
from app.core.db import db
from tests.support.people import invite


def test_coach_invites_parent_who_accepts_with_new_account(client, circle, login_as, mailbox):
    login_as(circle.coach)
    response = invite(client, circle.child)
    assert response.status_code == 302

    mail = mailbox.last_to("olga@example.nl")
    body = mailbox.text_of(mail)
    assert circle.child.name in mail["Subject"]
    assert "Coach Carla" in body
    link = mailbox.link_in(mail)
    assert link.startswith("/invitation?token=")

    client.post("/sign-out")
    page = client.get(link)
    assert page.status_code == 200
    assert circle.child.name in page.get_data(as_text=True)

    response = client.post(
        link,
        data={
            "name": "Olga Smit",
            "password": "zon en zee 2026",
            "confirm": "zon en zee 2026",
            "language": "en",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/children/{circle.child.id}"
    child_page = client.get(response.headers["Location"])
    assert child_page.status_code == 200
    assert circle.child.guiding_question in child_page.get_data(as_text=True)

    olga = db.session.scalar(select(User).where(User.email == "olga@example.nl"))
    assert olga is not None and olga.name == "Olga Smit" and not olga.is_staff
    role = db.session.scalar(
        select(Membership.role).where(
            Membership.user_id == olga.id, Membership.child_id == circle.child.id
        )
    )
    assert role is Role.PARENT

    # The link was single-use.
    client.post("/sign-out")
    again = client.get(link)
    assert again.status_code == 410


def test_invitation_token_is_stored_hashed(client, circle, login_as, mailbox):
    login_as(circle.coach)
    invite(client, circle.child)
    token = mailbox.link_in(mailbox.last_to("olga@example.nl")).split("token=")[1].split("&")[0]
    stored = db.session.scalar(select(Invitation.token_hash))
    assert token not in stored and len(stored) == 64


def test_invitation_mail_names_only_its_own_child(client, circle, login_as, mailbox, make_child):
    other = make_child("Geheim Kind", coach=circle.coach)
    login_as(circle.coach)
    invite(client, circle.child)
    body = mailbox.text_of(mailbox.last_to("olga@example.nl"))
    assert circle.child.name in body
    assert other.name not in body and other.guiding_question not in body
