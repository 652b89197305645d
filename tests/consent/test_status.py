"""Who decides, and what the answers mean per purpose (DESIGN.md rule 3)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.circle.models import Child, Membership, Role
from app.consent import services
from app.consent.models import Answer, ConsentRecord, ConsentTemplate, ImmutableRecordError, Purpose
from app.consent.rules import PurposeState, consent_age_on, signer_role_for
from app.core.db import db, utcnow
from tests.support.circle import born_reaching_consent_age_on
from tests.support.consent import ALL_YES, sign_consent


def status_of(app, child):
    with app.app_context():
        return services.status(db.session, db.session.get(Child, child.id))


def allows(app, child, purpose, at=None):
    with app.app_context():
        return services.allows(db.session.get(Child, child.id), purpose, at=at)


def test_silence_is_no(app, circle):
    status = status_of(app, circle.child)
    assert all(s.state is PurposeState.UNANSWERED for s in status.purposes.values())
    assert not allows(app, circle.child, Purpose.SCHOOL_RECORDING)
    assert set(status.pending) == {circle.parent.id, circle.parent2.id}


def test_one_guardians_yes_grants_while_the_other_is_silent(app, circle):
    sign_consent(app, circle.child, circle.parent)
    assert allows(app, circle.child, Purpose.SCHOOL_RECORDING)
    assert status_of(app, circle.child).pending == (circle.parent2.id,)


def test_a_no_beside_a_yes_freezes_the_purpose(app, circle, mailbox):
    sign_consent(app, circle.child, circle.parent)
    sign_consent(app, circle.child, circle.parent2, {**ALL_YES, Purpose.TEAM_VIEWING: Answer.NO})
    status = status_of(app, circle.child)
    assert status.purposes[Purpose.TEAM_VIEWING].state is PurposeState.DISAGREEMENT
    assert not allows(app, circle.child, Purpose.TEAM_VIEWING)
    assert allows(app, circle.child, Purpose.SCHOOL_RECORDING)
    # The coach is told.
    mail = mailbox.last_to(circle.coach.email)
    assert circle.child.name in mail["Subject"]


def test_refusal_by_the_only_answering_guardian(app, circle):
    sign_consent(app, circle.child, circle.parent, {**ALL_YES, Purpose.PEER_REVIEW: Answer.NO})
    assert status_of(app, circle.child).purposes[Purpose.PEER_REVIEW].state is PurposeState.REFUSED


def test_withdrawal_ends_the_grant_and_history_stays_answerable(app, circle):
    record = sign_consent(app, circle.child, circle.parent)
    before_withdrawal = utcnow()
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        child = db.session.get(Child, circle.child.id)
        services.withdraw(
            db.session,
            child,
            db.session.get(type(circle.parent), circle.parent.id),
            [Purpose.SCHOOL_RECORDING],
            nonce="n-withdraw-1",
            evidence=services.Evidence("192.0.2.1", "pytest", record.sign_in_method),
        )
        db.session.commit()
    assert not allows(app, circle.child, Purpose.SCHOOL_RECORDING)
    assert allows(app, circle.child, Purpose.HOME_RECORDING)
    assert (
        status_of(app, circle.child).purposes[Purpose.SCHOOL_RECORDING].state
        is PurposeState.WITHDRAWN
    )
    assert allows(app, circle.child, Purpose.SCHOOL_RECORDING, at=before_withdrawal)


def test_a_removed_parents_answers_no_longer_count(app, circle):
    sign_consent(app, circle.child, circle.parent)
    sign_consent(app, circle.child, circle.parent2, {**ALL_YES, Purpose.TEAM_VIEWING: Answer.NO})
    membership = db.session.scalar(
        select(Membership).where(
            Membership.child_id == circle.child.id, Membership.user_id == circle.parent2.id
        )
    )
    membership.active_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert allows(app, circle.child, Purpose.TEAM_VIEWING)


@pytest.mark.parametrize(
    "born, on, expected",
    [
        (date(2010, 6, 1), date(2026, 5, 31), "guardian"),
        (date(2010, 6, 1), date(2026, 6, 1), "pupil"),
        (date(2008, 2, 29), date(2024, 2, 28), "guardian"),
        (date(2008, 2, 29), date(2024, 2, 29), "pupil"),
        (date(2084, 2, 29), date(2100, 2, 28), "guardian"),
        (date(2084, 2, 29), date(2100, 3, 1), "pupil"),
    ],
)
def test_the_pupil_decides_from_sixteen(born, on, expected):
    assert signer_role_for(born, on).value == expected


def test_consent_age_of_a_leap_day_child():
    assert consent_age_on(date(2008, 2, 29)) == date(2024, 2, 29)
    assert consent_age_on(date(2084, 2, 29)) == date(2100, 3, 1)  # 2100 has no 29 February


def test_from_sixteen_parents_answers_no_longer_count(app, circle, make_user):
    sign_consent(app, circle.child, circle.parent)
    assert allows(app, circle.child, Purpose.SCHOOL_RECORDING)
    child = db.session.get(Child, circle.child.id)
    # Sixteen since yesterday, whatever today is (29 February included).
    child.date_of_birth = born_reaching_consent_age_on(utcnow().date()) - timedelta(days=1)
    pupil = make_user("Sem zelf")
    db.session.add(Membership(child_id=child.id, user_id=pupil.id, role=Role.PUPIL))
    db.session.commit()
    assert not allows(app, circle.child, Purpose.SCHOOL_RECORDING)
    assert status_of(app, circle.child).pending == (pupil.id,)
    sign_consent(app, circle.child, pupil)
    assert allows(app, circle.child, Purpose.SCHOOL_RECORDING)


def test_coach_is_told_once_when_the_pupil_turns_sixteen(app, circle, mailbox):
    child = db.session.get(Child, circle.child.id)
    today = utcnow().date()
    child.date_of_birth = born_reaching_consent_age_on(today)
    db.session.commit()
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        assert services.notify_consent_age(db.session, today) == 1
        db.session.commit()
    assert "16" in mailbox.last_to(circle.coach.email)["Subject"]
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        assert services.notify_consent_age(db.session, today) == 0
        db.session.commit()
    assert len(mailbox.to(circle.coach.email)) == 1


def test_a_child_under_sixteen_is_not_reported(app, circle, mailbox):
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        assert services.notify_consent_age(db.session) == 0
    assert mailbox.to(circle.coach.email) == []


def test_a_signed_record_refuses_every_change(app, circle):
    record = sign_consent(app, circle.child, circle.parent)
    record = db.session.get(ConsentRecord, record.id)
    record.answers = {p.value: "no" for p in Purpose}
    with pytest.raises(ImmutableRecordError):
        db.session.flush()
    db.session.rollback()
    record = db.session.get(ConsentRecord, record.id)
    record.typed_name = "Iemand anders"
    with pytest.raises(ImmutableRecordError):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(ConsentRecord, record.id).typed_name == circle.parent.name


def test_a_published_template_refuses_every_change(app, circle):
    sign_consent(app, circle.child, circle.parent)
    template = db.session.scalar(select(ConsentTemplate))
    template.retention_months = 99
    with pytest.raises(ImmutableRecordError):
        db.session.flush()
    db.session.rollback()


def test_the_record_keeps_the_exact_text_and_its_hash(app, circle):
    record = sign_consent(app, circle.child, circle.parent)
    assert services.sha256_text(record.text_shown) == record.text_sha256
    assert "Filmen op school" in record.text_shown
    assert record.language == "nl"
