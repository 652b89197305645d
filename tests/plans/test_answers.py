"""The parents' signed answer on the action part: each guardian for themself, with a drawn or
typed signature and the version's SHA-256 in the evidence, or a decline with a reason; the
status the circle sees; a version superseded while a parent was reading cannot be signed;
from 16 the pupil answers too."""

from __future__ import annotations

import base64
import re
from datetime import date

from sqlalchemy import func, select

from app.circle.models import Membership, Role
from app.core.db import db
from app.plans.models import PlanAnswer, PlanVersion
from tests.support.consent import signature_png
from tests.support.plans import sent_plan


def answer_url(version) -> str:
    return f"/children/{version.child_id}/plan/versions/{version.id}/answer"


def opened(client, version) -> dict[str, str]:
    page = client.get(answer_url(version)).get_data(as_text=True)
    return {
        "token": re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1),
        "version_id": str(version.id),
    }


def drawn() -> str:
    return "data:image/png;base64," + base64.b64encode(signature_png()).decode()


def answers_count() -> int:
    return db.session.scalar(select(func.count()).select_from(PlanAnswer))


def test_each_guardian_answers_for_themself_and_the_circle_sees_it(app, client, login_as, circle):
    version, _item = sent_plan(app, circle.child, circle.coach)
    login_as(circle.parent)
    hidden = opened(client, version)
    response = client.post(
        answer_url(version),
        data={**hidden, "answer": "agree", "typed_name": "Petra de Boer", "signature": drawn()},
    )
    assert response.status_code == 302
    record = db.session.scalar(select(PlanAnswer))
    assert record.agrees and record.signer_id == circle.parent.id
    assert record.version_sha256 == version.sha256
    assert version.sha256 in record.text_shown
    assert record.signature_png is not None

    second = login_as(circle.parent2, on=app.test_client())
    hidden = opened(second, version)
    bad = second.post(
        answer_url(version),
        data={**hidden, "answer": "decline", "typed_name": "Paul de Boer", "type_signature": "y"},
    )
    assert bad.status_code == 400
    assert "Schrijf waarom je het niet eens bent." in bad.get_data(as_text=True)
    assert answers_count() == 1
    ok = second.post(
        answer_url(version),
        data={
            **hidden,
            "answer": "decline",
            "reason": "Wij willen eerst praten over de doelen.",
            "typed_name": "Paul de Boer",
            "type_signature": "y",
        },
    )
    assert ok.status_code == 302
    assert answers_count() == 2

    teacher = login_as(circle.teacher, on=app.test_client())
    page = teacher.get(f"/children/{circle.child.id}/plan").get_data(as_text=True)
    assert "Ouder Petra" in page and "Gaat akkoord" in page
    assert "Ouder Paul" in page and "Gaat niet akkoord" in page
    assert "Wij willen eerst praten over de doelen." in page
    assert teacher.get(answer_url(version)).status_code == 403


def test_a_version_superseded_while_reading_cannot_be_signed(app, client, login_as, circle):
    version, _item = sent_plan(app, circle.child, circle.coach)
    login_as(circle.parent)
    hidden = opened(client, version)
    # Meanwhile the coach sends version 2.
    coach = login_as(circle.coach, on=app.test_client())
    coach.post(f"/children/{circle.child.id}/plan/draft")
    draft = db.session.scalar(select(PlanVersion).where(PlanVersion.version == 2))
    assert (
        coach.post(f"/children/{circle.child.id}/plan/versions/{draft.id}/send").status_code == 302
    )
    response = client.post(
        answer_url(version),
        data={**hidden, "answer": "agree", "typed_name": "Petra de Boer", "signature": drawn()},
    )
    assert response.status_code == 409
    assert "Er is een nieuwere versie van het plan verstuurd" in response.get_data(as_text=True)
    assert answers_count() == 0


def test_a_draft_cannot_be_answered_and_a_young_pupil_does_not_answer(
    app, client, login_as, circle, make_user
):
    version, _item = sent_plan(app, circle.child, circle.coach)
    login_as(circle.parent)
    client.post(
        answer_url(version),
        data={
            **opened(client, version),
            "answer": "agree",
            "typed_name": "P",
            "type_signature": "y",
        },
    )
    again = client.get(answer_url(version)).get_data(as_text=True)
    assert "Je hebt op deze versie geantwoord" in again
    assert answers_count() == 1
    coach = login_as(circle.coach, on=app.test_client())
    coach.post(f"/children/{circle.child.id}/plan/draft")
    draft = db.session.scalar(select(PlanVersion).where(PlanVersion.version == 2))
    assert client.get(answer_url(draft)).status_code == 404
    pupil = make_user("Sem")
    db.session.add(Membership(child_id=circle.child.id, user_id=pupil.id, role=Role.PUPIL))
    db.session.commit()
    young = login_as(pupil, on=app.test_client())
    assert young.get(answer_url(version)).status_code == 403


def test_from_sixteen_the_pupil_answers_too(app, client, login_as, make_user, make_child):
    coach = make_user("Coach Carla", staff=True)
    parent = make_user("Ouder Petra")
    today = date.today()
    child = make_child("Jesse", coach=coach, parents=(parent,), born=date(today.year - 17, 1, 1))
    pupil = make_user("Jesse")
    db.session.add(Membership(child_id=child.id, user_id=pupil.id, role=Role.PUPIL))
    db.session.commit()
    version, _item = sent_plan(app, child, coach)
    login_as(pupil)
    response = client.post(
        answer_url(version),
        data={
            **opened(client, version),
            "answer": "agree",
            "typed_name": "Jesse",
            "type_signature": "y",
        },
    )
    assert response.status_code == 302
    record = db.session.scalar(select(PlanAnswer))
    assert record.signer_role.value == "pupil"
    page = client.get(f"/children/{child.id}/plan").get_data(as_text=True)
    assert "Ouder Petra" in page and "Nog niet beantwoord" in page
