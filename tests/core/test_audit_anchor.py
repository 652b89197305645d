"""Anchors of the audit chain (issue 14 item 5): a database owner who rewrites the whole chain
consistently, or deletes its newest events, is caught or told what cannot be proven."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from app.core import audit
from app.core.audit import AuditChain, AuditEvent
from app.core.audit_anchor import FOLDER, AnchorRefused
from app.core.db import db
from app.documents import anchors


@pytest.fixture(autouse=True)
def media_root(app, app_ctx, tmp_path, monkeypatch) -> Path:
    # Anchor files of their own: the suite's media folder outlives each test's rollback.
    root = tmp_path / "media"
    monkeypatch.setitem(app.config, "MEDIA_ROOT", root)
    return root


def _events(n: int, actor, start: int = 0) -> list[AuditEvent]:
    events = [
        audit.record(db.session, f"test_event_{i}", actor=actor, data={"i": i})
        for i in range(start, start + n)
    ]
    db.session.commit()
    return events


def anchor_files(root: Path) -> list[Path]:
    return sorted((root / FOLDER).glob("*.json"))


def rewrite_whole_chain(change_id: int) -> None:
    """What a database owner can do: change one event and recompute every hash after it, and
    the head, so that the chain alone verifies again."""
    prev = audit.GENESIS
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    for event in events:
        if event.id == change_id:
            event.data = json.dumps({"i": "nothing to see"})
        event.prev_hash = prev
        event.hash = audit.event_hash(event)
        prev = event.hash
    head = db.session.get(AuditChain, 1)
    head.length, head.last_hash = len(events), prev
    db.session.commit()


def test_an_anchor_is_a_signed_file_in_media_storage_and_is_recorded(runner, circle, media_root):
    _events(3, circle.coach)
    result = runner.invoke(args=["audit-anchor"])
    assert result.exit_code == 0, result.output
    [path] = anchor_files(media_root)
    document = json.loads(path.read_bytes())
    assert document["payload"]["length"] == 3 and base64.b64decode(document["signature"])
    recorded = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "audit.anchored")
    ).one()
    assert recorded.payload()["file"] == f"{FOLDER}/{path.name}"

    verified = runner.invoke(args=["audit-verify"])
    assert verified.exit_code == 0, verified.output
    assert "intact" in verified.output and "anchors: 1 checked, all match" in verified.output


def test_a_chain_rewritten_consistently_is_caught_by_its_anchor(runner, circle):
    events = _events(4, circle.coach)
    anchors.anchor_now(db.session)
    db.session.commit()
    _events(2, circle.coach, start=4)

    rewrite_whole_chain(events[1].id)

    assert audit.verify(db.session).ok  # the chain alone cannot tell
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1
    assert "intact" in result.output  # the links hold ...
    assert "rewritten" in result.output  # ... but not against the anchor
    assert "event 4 in order" in result.output


def test_deleting_the_newest_events_after_the_last_anchor_names_the_unprovable_range(
    runner, circle
):
    _events(3, circle.coach)
    anchors.anchor_now(db.session)
    db.session.commit()
    later = _events(3, circle.coach, start=3)
    anchored_event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "audit.anchored")
    ).one()

    # Delete the two newest and set the head to match: nothing in the chain shows it.
    db.session.execute(delete(AuditEvent).where(AuditEvent.id.in_([e.id for e in later[1:]])))
    head = db.session.get(AuditChain, 1)
    head.length = db.session.scalar(select(func.count()).select_from(AuditEvent))
    head.last_hash = later[0].hash
    db.session.commit()

    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 0, result.output
    assert f"not provable: events {anchored_event.id}-{later[0].id} (2)" in result.output


def test_deleting_events_an_anchor_covers_is_caught(runner, circle):
    events = _events(4, circle.coach)
    anchors.anchor_now(db.session)
    db.session.commit()
    db.session.execute(delete(AuditEvent))
    db.session.execute(delete(AuditChain))
    db.session.commit()
    audit.record(db.session, "fresh_start", actor=circle.coach)
    db.session.commit()
    assert events

    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1
    assert "events were deleted" in result.output


def _tamper(path: Path, how: str) -> None:
    document = json.loads(path.read_bytes())
    if how == "payload":
        document["payload"]["length"] = 1
        path.write_text(json.dumps(document))
    elif how == "garbage":
        path.write_bytes(b"\x00not an anchor")
    elif how == "signature":
        signature = bytearray(base64.b64decode(document["signature"]))
        signature[-1] ^= 1
        document["signature"] = base64.b64encode(bytes(signature)).decode()
        path.write_text(json.dumps(document))


@pytest.mark.parametrize(
    "how, said",
    [
        ("payload", "changed after it was signed"),
        ("signature", "changed after it was signed"),
        ("garbage", "cannot be read"),
    ],
)
def test_a_tampered_anchor_file_gives_a_clear_message(runner, circle, media_root, how, said):
    _events(3, circle.coach)
    anchors.anchor_now(db.session)
    db.session.commit()
    [path] = anchor_files(media_root)
    _tamper(path, how)
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))

    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1
    assert f"anchor file {FOLDER}/{path.name} is not valid: it" in result.output
    assert said in result.output
    # Nothing changed.
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before
    assert len(anchor_files(media_root)) == 1


def test_an_anchor_signed_with_a_key_of_elsewhere_is_refused(
    app, runner, circle, media_root, tmp_path, monkeypatch
):
    _events(3, circle.coach)
    monkeypatch.setitem(app.config, "SIGNING_DIR", tmp_path / "elsewhere")
    anchors.anchor_now(db.session)  # signed with a key this installation does not hold
    db.session.commit()
    monkeypatch.undo()
    monkeypatch.setitem(app.config, "MEDIA_ROOT", media_root)

    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1
    assert "not signed with a key of this installation" in result.output


def test_a_broken_chain_is_not_anchored(runner, circle, media_root):
    events = _events(3, circle.coach)
    db.session.get(AuditEvent, events[1].id).action = "edited"
    db.session.commit()
    with pytest.raises(AnchorRefused):
        anchors.anchor_now(db.session)
    db.session.rollback()
    result = runner.invoke(args=["audit-anchor"])
    assert result.exit_code == 1 and "NOT anchored" in result.output
    assert anchor_files(media_root) == []


def test_the_daily_job_anchors_the_chain(circle, media_root):
    _events(2, circle.coach)
    length = db.session.get(AuditChain, 1).length
    assert anchors.anchor_audit_chain.call_local() == length
    assert len(anchor_files(media_root)) == 1
