"""When a version is sent, each guardian in the circle (and from 16 the pupil) gets a mail in
their own language with a link to the version's page, where they read it and answer; the
school side gets none, and no mail holds a word of the plan or anything staff-only."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.circle.models import Child, Membership, Role, User
from app.core.audit import AuditEvent
from app.core.db import db
from app.plans.models import PlanVersion
from app.plans.services import sources as adopting
from tests.support.plans import draft_plan, seat_of

GOAL = "Leest zelfstandig"


def send(app, child, coach, login_as) -> PlanVersion:
    version = draft_plan(app, child, coach, goal=GOAL)
    sender = login_as(coach, on=app.test_client())
    response = sender.post(f"/children/{child.id}/plan/versions/{version.id}/send")
    assert response.status_code == 302
    db.session.expire_all()
    return db.session.get(PlanVersion, version.id)


def test_each_guardian_is_told_in_their_own_language(
    app, client, login_as, circle, sources, mailbox
):
    db.session.get(User, circle.parent2.id).preferred_language = "en"
    db.session.commit()
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        seat = seat_of(circle.coach, circle.child)
        adopting.adopt(db.session, seat, adopting.SourceKind.NEED, sources["need"].id)
        db.session.commit()
    version = send(app, circle.child, circle.coach, login_as)
    link = f"/children/{circle.child.id}/plan/versions/{version.id}"

    dutch = mailbox.last_to(circle.parent.email)
    assert len(mailbox.to(circle.parent.email)) == 1
    assert dutch["Subject"] == (
        f"Ontwikkelingsperspectiefplan van {circle.child.name}: versie 1 wacht op je antwoord"
    )
    assert "De school heeft je versie 1" in mailbox.text_of(dutch)
    english = mailbox.last_to(circle.parent2.email)
    assert (
        english["Subject"]
        == f"Support plan of {circle.child.name}: version 1 is ready for your answer"
    )
    assert "Please read it." in mailbox.text_of(english)
    for mail in (dutch, english):
        assert mailbox.link_in(mail) == link
        whole = mail.as_string()
        for hidden in (
            GOAL,  # the plan itself stays in the portal
            "Sem heeft een rustige plek nodig",  # the adopted need
            "Hij kijkt weg bij drukte",  # what the school-only meeting saw
            "Sem helpt een klasgenoot",  # the team-only moment
            "Rekenles",  # the team-only clip
            "/meetings/",
        ):
            assert hidden not in whole, hidden
    for staff in (circle.coach, circle.teacher, circle.specialist):
        assert mailbox.to(staff.email) == [], staff.name
    asked = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "plan_answer_requested")
    ).all()
    assert sorted(e.payload()["signer_id"] for e in asked) == sorted(
        [circle.parent.id, circle.parent2.id]
    )

    # The link opens the version, with the way to answer on it.
    login_as(circle.parent)
    page = client.get(mailbox.link_in(dutch))
    assert page.status_code == 200
    assert GOAL in page.get_data(as_text=True)
    assert f"{link}/answer" in page.get_data(as_text=True)


def test_a_removed_parent_and_a_young_pupil_are_not_told_a_pupil_from_sixteen_is(
    app, login_as, make_user, make_child, mailbox
):
    coach = make_user("Coach Carla", staff=True)
    parent = make_user("Ouder Petra")
    gone = make_user("Ouder Gert")
    today = date.today()
    young = make_child("Sem", coach=coach, parents=(parent, gone), born=date(today.year - 9, 1, 1))
    old = make_child("Jesse", coach=coach, parents=(parent,), born=date(today.year - 17, 1, 1))
    young_pupil, old_pupil = make_user("Sem zelf"), make_user("Jesse zelf")
    db.session.add_all(
        [
            Membership(child_id=young.id, user_id=young_pupil.id, role=Role.PUPIL),
            Membership(child_id=old.id, user_id=old_pupil.id, role=Role.PUPIL),
        ]
    )
    coach_client = login_as(coach, on=app.test_client())
    membership = db.session.scalar(
        select(Membership).where(Membership.child_id == young.id, Membership.user_id == gone.id)
    )
    db.session.commit()
    removed = coach_client.post(f"/children/{young.id}/members/{membership.id}/remove")
    assert removed.status_code in (302, 303), removed.status_code
    mailbox.clear()

    send(app, db.session.get(Child, young.id), coach, login_as)
    assert len(mailbox.to(parent.email)) == 1
    assert mailbox.to(gone.email) == [] and mailbox.to(young_pupil.email) == []
    send(app, db.session.get(Child, old.id), coach, login_as)
    assert len(mailbox.to(parent.email)) == 2
    assert len(mailbox.to(old_pupil.email)) == 1
