"""Rules that depend on the clock, proven at fixed instants: the last day of a month, 29 February,
and New Year's Eve late in the evening in Amsterdam. Every test here sets the clock itself
(time-machine, frozen), so none depends on the day it runs; no test sleeps.

Dates are those a Dutch reader sees: Europe/Amsterdam, whatever the server's clock says in UTC.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.circle.models import Child, Invitation, Membership, Role, User
from app.consent import services as consent
from app.consent.models import ConsentTemplate, Purpose, SignerRole
from app.core import storage
from app.core.db import db
from app.documents.models import Document

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
SECOND = timedelta(seconds=1)


def at(*parts: int) -> datetime:
    """An instant on the wall clock in Amsterdam."""
    return datetime(*parts, tzinfo=AMSTERDAM)  # type: ignore[misc]


def invite(client, child, **overrides):
    data = {"name": "Olga", "email": "olga@example.nl", "role": "parent", "language": "nl"}
    return client.post(f"/children/{child.id}/invite", data={**data, **overrides})


def new_account(password: str) -> dict[str, str]:
    return {"name": "Olga", "password": password, "confirm": password, "language": "nl"}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture(autouse=True)
def _made_before_every_instant_here(time_machine):
    # The accounts and the circle of each test are made now, before any instant it visits,
    # whatever the real date (or BEELDBRUG_TEST_NOW) is: a membership starts when it is made.
    time_machine.move_to(at(2026, 9, 1, 8, 0), tick=False)


@pytest.fixture
def clock(time_machine):
    """``clock(instant)`` stops the clock at ``instant`` (it stays there until moved again)."""

    def move(instant: datetime) -> None:
        time_machine.move_to(instant, tick=False)

    return move


# --- turning 16 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "born, day_before, birthday",
    [
        # A birthday on New Year's Eve, checked late in the evening.
        (date(2011, 12, 31), at(2027, 12, 30, 23, 30), at(2027, 12, 31, 23, 30)),
        # Born on 29 February, turning 16 in a leap year: on 29 February itself.
        (date(2012, 2, 29), at(2028, 2, 28, 23, 30), at(2028, 2, 29, 0, 30)),
        # Born on 29 February, turning 16 in a year without one (2100): on 1 March.
        (date(2084, 2, 29), at(2100, 2, 28, 23, 30), at(2100, 3, 1, 0, 30)),
    ],
)
def test_a_pupil_joins_the_circle_from_their_16th_birthday(
    client, login_as, circle, clock, born, day_before, birthday
):
    db.session.get(Child, circle.child.id).date_of_birth = born
    db.session.commit()
    pupil = {"email": "leerling@example.nl", "role": "pupil", "name": "Sem"}

    clock(day_before)
    login_as(circle.coach)
    page = client.get(f"/children/{circle.child.id}").get_data(as_text=True)
    assert "(15 jaar)" in page
    refused = invite(client, circle.child, **pupil)
    assert "Een leerling komt pas vanaf 16 jaar in de kring." in refused.get_data(as_text=True)
    assert count(Invitation) == 0

    clock(birthday)
    login_as(circle.coach)
    assert "(16 jaar)" in client.get(f"/children/{circle.child.id}").get_data(as_text=True)
    assert invite(client, circle.child, **pupil).status_code == 302
    assert db.session.scalar(select(Invitation.role)) is Role.PUPIL


def test_the_age_shown_for_a_29_february_birthday_in_a_year_without_one(
    client, login_as, circle, clock
):
    db.session.get(Child, circle.child.id).date_of_birth = date(2016, 2, 29)
    db.session.commit()
    clock(at(2027, 2, 28, 23, 30))
    login_as(circle.coach)
    assert "(10 jaar)" in client.get(f"/children/{circle.child.id}").get_data(as_text=True)
    clock(at(2027, 3, 1, 0, 30))
    login_as(circle.coach)  # an hour later: signed out for being idle
    assert "(11 jaar)" in client.get(f"/children/{circle.child.id}").get_data(as_text=True)


def test_the_coach_hears_once_that_the_pupil_decides_from_the_birthday(app, circle, clock, mailbox):
    db.session.get(Child, circle.child.id).date_of_birth = date(2012, 1, 1)
    db.session.commit()
    # As the worker runs it: an app, no request (the mail's link is built all the same).
    with app.app_context():
        clock(at(2027, 12, 31, 23, 59, 59))
        assert consent.notify_consent_age(db.session) == 0
        clock(at(2028, 1, 1, 0, 30))  # still 31 December in UTC
        assert consent.notify_consent_age(db.session) == 1
        db.session.commit()
        assert consent.notify_consent_age(db.session) == 0  # once per child
    mail = mailbox.to(circle.coach.email)
    assert mail
    assert f"{app.config['BASE_URL'].rstrip('/')}/children/{circle.child.id}" in str(mail[-1])


def test_parents_answers_stop_counting_at_midnight_in_amsterdam_on_the_16th_birthday(
    app, circle, clock, signing_dir
):
    from tests.support.consent import sign_consent

    db.session.get(Child, circle.child.id).date_of_birth = date(2012, 1, 1)
    db.session.commit()
    clock(at(2027, 12, 31, 20, 0))
    sign_consent(app, circle.child, circle.parent)
    child = db.session.get(Child, circle.child.id)
    with app.app_context():
        clock(at(2027, 12, 31, 23, 59, 59))
        assert consent.signer_role_for(child) is SignerRole.GUARDIAN
        assert consent.allows(child, Purpose.SCHOOL_RECORDING)
        clock(at(2028, 1, 1, 0, 0, 0))  # 23:00 in UTC, but the birthday in the Netherlands
        assert consent.signer_role_for(child) is SignerRole.PUPIL
        assert not consent.allows(child, Purpose.SCHOOL_RECORDING)


# --- invitations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sent, shown",
    [
        (at(2027, 1, 20, 12, 0), "geldig tot 3 feb 2027"),  # across the end of January
        (at(2028, 2, 16, 9, 0), "geldig tot 1 mrt 2028"),  # across 29 February
        (at(2027, 12, 17, 23, 30), "geldig tot 31 dec 2027"),  # ends on New Year's Eve 23:30
        (at(2027, 12, 18, 0, 30), "geldig tot 1 jan 2028"),  # still 31 December in UTC
    ],
)
def test_an_invitation_works_for_14_days_to_the_second(
    client, login_as, circle, mailbox, clock, sent, shown
):
    clock(sent)
    login_as(circle.coach)
    assert invite(client, circle.child).status_code == 302
    assert shown in client.get(f"/children/{circle.child.id}").get_data(as_text=True)
    link = mailbox.link_in(mailbox.last_to("olga@example.nl"))
    client.post("/sign-out")

    clock(sent + timedelta(days=14) - SECOND)
    assert client.get(link).status_code == 200
    clock(sent + timedelta(days=14))
    assert client.get(link).status_code == 410
    users = count(User)
    accepted = client.post(link, data=new_account("zon en zee 2027"))
    assert accepted.status_code == 410
    assert count(User) == users


def test_an_invitation_accepted_in_its_last_second_lets_the_parent_in(
    client, login_as, circle, mailbox, clock
):
    clock(at(2027, 12, 17, 23, 30))
    login_as(circle.coach)
    invite(client, circle.child)
    link = mailbox.link_in(mailbox.last_to("olga@example.nl"))
    client.post("/sign-out")
    clock(at(2027, 12, 31, 23, 29, 59))
    password = "oliebollen om middernacht"
    response = client.post(link, data=new_account(password))
    assert response.status_code == 302
    assert client.get(f"/children/{circle.child.id}").status_code == 200


def test_a_specialist_keeps_access_through_the_last_day_in_amsterdam(
    client, login_as, circle, mailbox, clock
):
    clock(at(2028, 6, 1, 10, 0))
    login_as(circle.coach)
    invite(
        client,
        circle.child,
        email="spec@example.nl",
        role="specialist",
        name="Specialist Saar",
        access_until="2028-06-30",
    )
    link = mailbox.link_in(mailbox.last_to("spec@example.nl"))
    client.post("/sign-out")
    password = "kijken met de juf"
    assert client.post(link, data=new_account(password)).status_code == 302
    client.post("/sign-out")
    login_as(circle.coach)
    # What the coach chose is what the page says: up to and including 30 June.
    assert "tot en met 30 jun 2028" in client.get(f"/children/{circle.child.id}").get_data(
        as_text=True
    )
    client.post("/sign-out")
    specialist = db.session.scalar(select(User).where(User.email == "spec@example.nl"))

    clock(at(2028, 6, 30, 23, 59, 59))
    login_as(specialist, password=password)
    assert client.get(f"/children/{circle.child.id}").status_code == 200
    clock(at(2028, 7, 1, 0, 0, 0))
    assert client.get(f"/children/{circle.child.id}").status_code == 404
    membership = db.session.scalar(select(Membership).where(Membership.user_id == specialist.id))
    assert membership.active_until.astimezone(AMSTERDAM).date() == date(2028, 6, 30)


def test_an_end_date_that_passed_in_amsterdam_is_refused(client, login_as, circle, clock):
    clock(at(2028, 1, 1, 0, 30))  # still 31 December in UTC
    login_as(circle.coach)
    specialist = {"email": "spec@example.nl", "role": "specialist", "name": "Saar"}
    refused = invite(client, circle.child, **specialist, access_until="2027-12-31")
    assert "De einddatum is al voorbij." in refused.get_data(as_text=True)
    assert invite(client, circle.child, **specialist, access_until="2028-01-01").status_code == 302


def test_an_invitation_closes_on_the_day_its_trajectory_ends(
    client, login_as, circle, mailbox, clock
):
    clock(at(2027, 12, 20, 10, 0))
    login_as(circle.coach)
    invite(client, circle.child)
    link = mailbox.link_in(mailbox.last_to("olga@example.nl"))
    client.post("/sign-out")
    db.session.get(Child, circle.child.id).ended_on = date(2028, 1, 1)
    db.session.commit()
    clock(at(2027, 12, 31, 23, 59, 59))
    assert client.get(link).status_code == 200
    clock(at(2028, 1, 1, 0, 30))
    assert client.get(link).status_code == 410


# --- opening a trajectory -------------------------------------------------------------------


def test_a_trajectory_opened_after_midnight_starts_that_day(client, login_as, make_user, clock):
    clock(at(2028, 1, 1, 0, 30))
    login_as(make_user("Coach Kees", staff=True))
    trajectory = {
        "name": "Nieuwjaarskind",
        "date_of_birth": "2028-01-01",  # born tonight: not in the future
        "group_name": "groep 1",
        "guiding_question": "Wat heeft dit kind nodig?",
    }
    response = client.post("/children/new", data=trajectory)
    assert response.status_code == 302, response.get_data(as_text=True)
    child = db.session.scalar(select(Child).where(Child.name == "Nieuwjaarskind"))
    assert child.started_on == date(2028, 1, 1)
    trajectory.update(name="Morgenkind", date_of_birth="2028-01-02")
    page = client.post("/children/new", data=trajectory).get_data(as_text=True)
    assert "De geboortedatum kan niet in de toekomst liggen." in page


# --- password links -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "asked",
    [
        at(2027, 2, 28, 23, 30),  # the link ends on 1 March
        at(2028, 2, 29, 23, 30),  # asked on 29 February
        at(2027, 12, 31, 23, 30),  # the link ends in the new year
    ],
)
def test_a_reset_link_works_for_60_minutes_to_the_second(client, circle, mailbox, clock, asked):
    clock(asked)
    client.post("/forgot-password", data={"email": circle.parent.email})
    link = mailbox.link_in(mailbox.last_to(circle.parent.email))

    clock(asked + timedelta(minutes=60) - SECOND)
    assert client.get(link).status_code == 200
    clock(asked + timedelta(minutes=60))
    assert client.get(link).status_code == 410
    before = db.session.get(User, circle.parent.id).password_hash
    new = "een nieuw jaar een nieuw wachtwoord"
    assert client.post(link, data={"password": new, "confirm": new}).status_code == 410
    assert db.session.get(User, circle.parent.id).password_hash == before


# --- sessions -------------------------------------------------------------------------------


def test_staff_are_signed_out_after_30_idle_minutes_across_midnight(
    client, login_as, circle, clock
):
    clock(at(2027, 12, 31, 23, 0))
    login_as(circle.teacher)
    clock(at(2027, 12, 31, 23, 30))  # exactly 30 minutes idle: still in
    assert client.get("/").status_code == 200
    clock(at(2028, 1, 1, 0, 0, 1))  # 30 minutes and a second after that request
    response = client.get("/", follow_redirects=True)
    assert response.request.path == "/sign-in"
    assert "Je bent afgemeld omdat je een tijdje niets hebt gedaan." in response.get_data(
        as_text=True
    )


def test_a_parent_is_not_signed_out_after_30_idle_minutes(client, login_as, circle, clock):
    clock(at(2028, 2, 28, 23, 45))
    login_as(circle.parent)
    clock(at(2028, 2, 29, 0, 45))
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("who", ["teacher", "parent"])
def test_every_session_ends_12_hours_after_signing_in_however_active(
    client, login_as, circle, clock, who
):
    signed_in = at(2027, 12, 31, 12, 0)
    clock(signed_in)
    login_as(getattr(circle, who))
    for minutes in range(20, 12 * 60, 20):  # a request every 20 minutes: never idle
        clock(signed_in + timedelta(minutes=minutes))
        assert client.get("/").status_code == 200
    clock(signed_in + timedelta(hours=12) - SECOND)
    assert client.get("/").status_code == 200
    clock(signed_in + timedelta(hours=12))  # midnight: the new year starts signed out
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


# --- dates printed in PDFs ------------------------------------------------------------------


@pytest.fixture
def signing_dir(app, tmp_path: Path, monkeypatch):
    # Keys made at a moved clock carry that date: keep them out of the suite's shared folder.
    monkeypatch.setitem(app.config, "SIGNING_DIR", tmp_path / "signing")
    monkeypatch.setitem(app.config, "SIGNING_PKCS12_PATH", None)


def pdf_text(app, record) -> str:
    document = db.session.scalar(
        select(Document).where(
            Document.subject_type == "ConsentRecord", Document.subject_id == record.id
        )
    )
    with app.app_context(), storage.open_file(document.storage_key) as fh:
        reader = PdfReader(BytesIO(fh.read()))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.mark.usefixtures("signing_dir")
@pytest.mark.parametrize(
    "signed, issued_on, utc",
    [
        (at(2027, 12, 31, 23, 30), "31 december 2027", "2027-12-31 22:30:00 UTC"),
        (at(2028, 1, 1, 0, 30), "1 januari 2028", "2027-12-31 23:30:00 UTC"),
        (at(2028, 2, 29, 12, 0), "29 februari 2028", "2028-02-29 11:00:00 UTC"),
        (at(2027, 6, 30, 23, 30), "30 juni 2027", "2027-06-30 21:30:00 UTC"),
    ],
)
def test_a_consent_pdf_prints_the_amsterdam_date_and_the_utc_time(
    app, circle, clock, signed, issued_on, utc
):
    from tests.support.consent import sign_consent

    clock(signed)
    record = sign_consent(app, circle.child, circle.parent)
    text = pdf_text(app, record)
    assert f"Opgemaakt op {issued_on} via Beeldbrug" in text
    assert utc in text  # the evidence keeps UTC, and says so
    months = db.session.get(ConsentTemplate, record.template_id).retention_months
    assert f"hoogstens {months} maanden" in text  # the retention term the parent agreed to
