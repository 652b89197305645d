"""Each consent state reads in words of its own, on the pages and in the mails: a withdrawal is
not a disagreement, and a yes beside a parent who has not answered says so."""

from __future__ import annotations

import re

from app.circle.models import Child, User
from app.consent import services
from app.consent.models import Answer, Purpose
from app.consent.rules import PurposeState
from app.core.db import db
from app.core.signin import SignInMethod
from tests.support.consent import ALL_YES, sign_consent

SCHOOL = Purpose.SCHOOL_RECORDING


def withdraw(app, child, signer, purposes, nonce):
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        services.withdraw(
            db.session,
            db.session.get(Child, child.id),
            db.session.get(User, signer.id),
            purposes,
            nonce=nonce,
            evidence=services.Evidence("192.0.2.1", "pytest", SignInMethod.PASSWORD),
        )
        db.session.commit()


def state(app, child, purpose):
    with app.app_context():
        return services.status(db.session, db.session.get(Child, child.id)).purposes[purpose].state


def row_of(page: str, label: str) -> str:
    """The status row of the part called ``label`` on a consent page."""
    rows = re.findall(r'<li class="purpose-row">(.*?)</li>', page, flags=re.S)
    return next(" ".join(re.sub(r"<[^>]+>", " ", r).split()) for r in rows if label in r)


def test_one_parent_withdrawing_reads_withdrawn_not_a_disagreement(
    app, client, login_as, circle, mailbox
):
    db.session.get(User, circle.coach.id).preferred_language = "en"
    db.session.commit()
    sign_consent(app, circle.child, circle.parent)
    sign_consent(app, circle.child, circle.parent2)
    mailbox.clear()
    withdraw(app, circle.child, circle.parent2, [SCHOOL], "n-1")

    assert state(app, circle.child, SCHOOL) is PurposeState.WITHDRAWN
    with app.app_context():
        assert not services.allows(db.session.get(Child, circle.child.id), SCHOOL)
    # The coach is told of the withdrawal as a withdrawal, not as a disagreement.
    (mail,) = mailbox.to(circle.coach.email)
    assert mail["Subject"] == f"{circle.parent2.name} withdrew consent for {circle.child.name}"
    assert "Filming at school" in mailbox.text_of(mail)
    assert "not a disagreement" in mailbox.text_of(mail)
    login_as(circle.coach)
    page = client.get(f"/children/{circle.child.id}/consent?lang=en").get_data(as_text=True)
    assert row_of(page, "Filming at school").endswith("withdrawn")
    assert "disagree" not in page


def test_a_second_withdrawal_keeps_the_first_withdrawn(app, circle):
    sign_consent(app, circle.child, circle.parent)
    sign_consent(app, circle.child, circle.parent2)
    withdraw(app, circle.child, circle.parent2, [SCHOOL], "n-1")
    withdraw(app, circle.child, circle.parent2, [Purpose.HOME_RECORDING], "n-2")
    assert state(app, circle.child, SCHOOL) is PurposeState.WITHDRAWN
    assert state(app, circle.child, Purpose.HOME_RECORDING) is PurposeState.WITHDRAWN
    # Answering anew asks every part again: the yes counts from then on.
    sign_consent(app, circle.child, circle.parent2)
    assert state(app, circle.child, SCHOOL) is PurposeState.GRANTED


def test_a_refusal_beside_a_yes_is_still_a_disagreement(app, client, login_as, circle, mailbox):
    sign_consent(app, circle.child, circle.parent)
    sign_consent(app, circle.child, circle.parent2, {**ALL_YES, SCHOOL: Answer.NO})
    assert state(app, circle.child, SCHOOL) is PurposeState.DISAGREEMENT
    assert circle.child.name in mailbox.last_to(circle.coach.email)["Subject"]
    login_as(circle.coach)
    page = client.get(f"/children/{circle.child.id}/consent?lang=en").get_data(as_text=True)
    assert row_of(page, "Filming at school").endswith("parents disagree: on hold")


def test_a_yes_while_the_other_parent_is_silent_says_so(app, client, login_as, circle):
    sign_consent(app, circle.child, circle.parent, {**ALL_YES, Purpose.PEER_REVIEW: Answer.NO})
    assert state(app, circle.child, SCHOOL) is PurposeState.GRANTED_WAITING
    with app.app_context():
        assert services.allows(db.session.get(Child, circle.child.id), SCHOOL)
    login_as(circle.coach)
    page = client.get(f"/children/{circle.child.id}/consent?lang=en").get_data(as_text=True)
    assert row_of(page, "Filming at school").endswith("granted (not every parent has answered yet)")
    assert row_of(page, "Showing in peer review").endswith("refused")
    # "No answer counts as no" is not printed beside parts that are granted.
    assert "No answer counts as no" not in page


def test_no_answers_at_all_reads_waiting(app, client, login_as, circle):
    with app.app_context():
        services.ensure_published_template(
            db.session, db.session.get(Child, circle.child.id).school, actor=None
        )
        db.session.commit()
    login_as(circle.coach)
    page = client.get(f"/children/{circle.child.id}/consent?lang=en").get_data(as_text=True)
    assert row_of(page, "Filming at school").endswith("waiting for an answer (until then: no)")
    assert "No answer counts as no" in page


def test_every_state_has_words_of_its_own(app):
    from app.consent.views import purpose_state_label

    with app.test_request_context("/?lang=en"):
        labels = [purpose_state_label(s) for s in PurposeState]
    assert len(set(labels)) == len(PurposeState)
