"""The current-password check is throttled like sign-in; a password change ends open reset links.

SECURITY A3 (throttling wherever a password is checked) and A5 (a change ends every open link).
"""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import select

from app.admin import services as admin_services
from app.auth import services
from app.auth.models import PasswordToken
from app.circle.models import User
from app.core.audit import AuditEvent
from app.core.db import db, utcnow
from tests.support.infra import PASSWORD

NEW = "een nieuw wachtwoord"


def change_password(client, current: str, new: str = NEW, **kwargs):
    return client.post(
        "/account",
        data={"password-current": current, "password-password": new, "password-confirm": new},
        **kwargs,
    )


def password_hash(user: User) -> str:
    db.session.expire_all()
    return db.session.get(User, user.id).password_hash


# --- throttling the current-password check on the account page --------------------------------


def test_fifty_wrong_current_passwords_are_not_all_answered(client, login_as, circle):
    login_as(circle.parent)
    statuses = [change_password(client, f"gok nummer {n}").status_code for n in range(50)]
    assert 429 in statuses
    # The default limit (10 per 15 minutes per account) stops the guessing after ten.
    assert statuses[:10] == [200] * 10 and set(statuses[10:]) == {429}


def test_throttled_check_says_how_long_and_refuses_even_the_right_password(
    app, monkeypatch, client, login_as, circle
):
    monkeypatch.setitem(app.config, "SIGN_IN_LIMIT_PER_ACCOUNT", "3/15 minutes")
    login_as(circle.parent)
    before = password_hash(circle.parent)
    for _ in range(3):
        assert change_password(client, "fout wachtwoord").status_code == 200
    blocked = change_password(client, PASSWORD)
    assert blocked.status_code == 429
    text = blocked.get_data(as_text=True)
    assert "15" in text and 'id="password-current-error"' in text  # says how long, at the field
    assert password_hash(circle.parent) == before
    assert client.get("/account").status_code == 200  # still signed in, page still usable


def test_throttling_one_account_never_blocks_another(app, monkeypatch, client, login_as, circle):
    monkeypatch.setitem(app.config, "SIGN_IN_LIMIT_PER_ACCOUNT", "3/15 minutes")
    login_as(circle.parent)
    for _ in range(4):
        change_password(client, "fout wachtwoord")
    other = login_as(circle.parent2, on=app.test_client())  # same address (the test client's)
    assert change_password(other, PASSWORD).status_code == 302
    # Nor does it block signing in: the check on the account page has its own counter.
    fresh = app.test_client()
    response = fresh.post("/sign-in", data={"email": circle.parent.email, "password": PASSWORD})
    assert response.status_code == 302


def test_current_password_checks_are_throttled_per_address(
    app, monkeypatch, login_as, make_user, circle
):
    monkeypatch.setitem(app.config, "SIGN_IN_LIMIT_PER_ADDRESS", "4/15 minutes")
    here = {"REMOTE_ADDR": "10.1.1.1"}
    for n in range(4):
        guesser = login_as(make_user(), on=app.test_client())
        guesser.post(
            "/account",
            data={
                "password-current": f"gok {n}",
                "password-password": NEW,
                "password-confirm": NEW,
            },
            environ_base=here,
        )
    victim = login_as(circle.parent, on=app.test_client())
    assert change_password(victim, PASSWORD, environ_base=here).status_code == 429
    elsewhere = {"REMOTE_ADDR": "10.2.2.2"}
    assert change_password(victim, PASSWORD, environ_base=elsewhere).status_code == 302


def test_wrong_and_throttled_current_passwords_are_audited(
    app, monkeypatch, client, login_as, circle
):
    monkeypatch.setitem(app.config, "SIGN_IN_LIMIT_PER_ACCOUNT", "1/15 minutes")
    login_as(circle.parent)
    change_password(client, "fout wachtwoord")
    change_password(client, "nog een keer fout")
    rows = db.session.execute(
        select(AuditEvent.action, AuditEvent.actor_id).where(
            AuditEvent.action.like("password_check%")
        )
    ).all()
    assert sorted(rows) == [
        ("password_check_failed", circle.parent.id),
        ("password_check_throttled", circle.parent.id),
    ]


# --- a password change ends every open reset link ---------------------------------------------


def reset_link(client, mailbox, email: str) -> str:
    client.post("/forgot-password", data={"email": email})
    return mailbox.link_in(mailbox.last_to(email))


def test_an_older_reset_link_stops_working_once_a_newer_one_is_used(app, client, circle, mailbox):
    older = reset_link(client, mailbox, circle.parent.email)
    newer = reset_link(client, mailbox, circle.parent.email)
    assert older != newer
    response = client.post(newer, data={"password": NEW, "confirm": NEW})
    assert response.status_code == 302
    assert client.get(older).status_code == 410
    late = "wie dit leest is te laat"
    client.post(older, data={"password": late, "confirm": late})
    sign_in = app.test_client().post(
        "/sign-in", data={"email": circle.parent.email, "password": NEW}
    )
    assert sign_in.status_code == 302  # the newer password holds


def test_a_change_on_the_account_page_ends_open_reset_links(app, client, login_as, circle, mailbox):
    link = reset_link(app.test_client(), mailbox, circle.parent.email)
    login_as(circle.parent)
    assert change_password(client, PASSWORD).status_code == 302
    assert app.test_client().get(link).status_code == 410


def test_a_first_password_ends_the_other_activation_links(app, app_ctx, make_user, school, mailbox):
    admin = make_user(admin=True)
    staff = admin_services.create_staff(
        db.session,
        school,
        admin_services.StaffData("Meester Bram", "bram@example.nl", "nl", False),
        actor=admin,
    )
    db.session.commit()
    first = mailbox.link_in(mailbox.last_to("bram@example.nl"))
    admin_services.resend_activation(db.session, staff, actor=admin)
    db.session.commit()
    second = mailbox.link_in(mailbox.last_to("bram@example.nl"))
    client = app.test_client()
    assert client.post(second, data={"password": NEW, "confirm": NEW}).status_code == 302
    assert client.get(first).status_code == 410


def test_any_route_that_sets_a_password_ends_open_links(app_ctx, circle):
    # Every route (reset, account page, invitation, admin, demo data) goes through set_password.
    services.create_password_link(db.session, circle.parent, valid_for=timedelta(hours=1))
    db.session.flush()
    services.set_password(circle.parent, NEW)
    db.session.flush()
    rows = db.session.scalars(
        select(PasswordToken).where(PasswordToken.user_id == circle.parent.id)
    ).all()
    assert rows and all(row.used_at is not None for row in rows)


def test_a_link_made_before_the_last_change_is_refused_even_if_left_unmarked(
    app_ctx, client, circle
):
    with time_machine.travel(utcnow() - timedelta(minutes=10), tick=False):
        token = services.create_password_link(
            db.session, circle.parent, valid_for=timedelta(hours=1)
        )
    db.session.commit()
    # A password changed outside set_password (a hand-run script, say) still ends the link.
    circle.parent.password_changed_at = utcnow()
    db.session.commit()
    assert services.password_token(db.session, token) is None
