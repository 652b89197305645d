"""The audit log is a hash chain; `flask audit-verify` finds edits and deletions (SECURITY F)."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from app.core import audit
from app.core.audit import AuditChain, AuditEvent, AuditPersonal
from app.core.db import db


def _events(n: int, actor) -> list[AuditEvent]:
    events = [
        audit.record(db.session, f"test_event_{i}", actor=actor, data={"i": i}) for i in range(n)
    ]
    db.session.commit()
    return events


def test_events_link_to_the_previous_hash(app, circle):
    first, second, third = _events(3, circle.coach)
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert audit.verify(db.session).ok


def test_cli_reports_an_intact_chain(runner, circle):
    _events(3, circle.coach)
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 0 and "intact" in result.output


def test_editing_a_row_is_detected(runner, circle):
    events = _events(4, circle.coach)
    db.session.execute(
        update(AuditEvent).where(AuditEvent.id == events[1].id).values(action="nothing_to_see")
    )
    db.session.commit()
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1
    assert f"event {events[1].id}" in result.output and "changed" in result.output


def test_deleting_a_row_is_detected(runner, circle):
    events = _events(4, circle.coach)
    db.session.execute(delete(AuditEvent).where(AuditEvent.id == events[2].id))
    db.session.commit()
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1
    assert f"event {events[3].id}" in result.output and "broken" in result.output


def test_deleting_the_newest_row_is_detected(runner, circle):
    events = _events(3, circle.coach)
    db.session.execute(delete(AuditEvent).where(AuditEvent.id == events[-1].id))
    db.session.commit()
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1 and "head" in result.output


def test_editing_personal_details_is_detected_but_erasing_them_is_allowed(app, circle):
    with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.7"}):
        event = audit.record(db.session, "sign_in_failed", personal={"email": "x@example.nl"})
        db.session.commit()
    row = db.session.get(AuditPersonal, event.id)
    assert "192.0.2.7" in row.details and "x@example.nl" in row.details
    row.details = row.details.replace("192.0.2.7", "198.51.100.1")
    db.session.commit()
    assert not audit.verify(db.session).ok

    db.session.execute(delete(AuditPersonal).where(AuditPersonal.event_id == event.id))
    db.session.commit()
    assert audit.verify(db.session).ok


def test_events_carry_who_what_when_and_where(client, circle):
    client.post(
        "/sign-in",
        data={"email": circle.parent.email, "password": "wrong one"},
        environ_base={"REMOTE_ADDR": "192.0.2.9"},
    )
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sign_in_failed"))
    assert event.actor_id == circle.parent.id
    assert event.created_at.tzinfo is not None
    assert "192.0.2.9" in db.session.get(AuditPersonal, event.id).details


def test_the_chain_head_counts_every_event(circle):
    before = db.session.get(AuditChain, 1).length
    _events(2, circle.coach)
    assert db.session.get(AuditChain, 1).length == before + 2
