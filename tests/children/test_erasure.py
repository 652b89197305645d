"""Erasure of a child by a school admin of its school (SECURITY H.36): afterwards nothing of the
child remains but its tombstone and the audit events (rows, files, queued jobs), and the audit
chain still verifies, against its anchors too. A wrong name or no confirmation changes nothing;
nobody else may erase."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select

from app.auth.models import UserSession
from app.children import erasure
from app.circle.models import Child, ChildTombstone, Membership, Role, User
from app.clips.services import conversion, cutting
from app.core import audit
from app.core.audit import AuditEvent, AuditPersonal
from app.core.clock import local_date
from app.core.db import Base, db
from app.core.errors import ForbiddenError
from app.documents import erasure as documents
from app.documents.models import Document
from tests.support.circle import pupil_of_sixteen
from tests.support.consent import sign_consent
from tests.support.erasure import (
    build_world,
    hold_jobs,
    rows_of_child,
    still_there,
    stored_files,
    text_anywhere,
)
from tests.support.people import invite


@pytest.fixture
def media_root(app, tmp_path, monkeypatch) -> Path:
    # Files of this test's own: the suite's media folder outlives each test's rollback.
    root = tmp_path / "media"
    monkeypatch.setitem(app.config, "MEDIA_ROOT", root)
    return root


@pytest.fixture
def admin(make_user):
    return make_user("Beheerder Bea", admin=True)


def _url(child_id: int, tail: str = "") -> str:
    return f"/admin/children/{child_id}/erase{tail}"


def _erase(client, child: Child, name: str | None = None, confirm: bool = True):
    data = {"name": child.name if name is None else name}
    if confirm:
        data["confirm"] = "y"
    return client.post(_url(child.id, "/confirm"), data=data)


def _counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
    }


def _today(app) -> date:
    with app.app_context():
        return local_date()


def _past_retention(app, child: Child) -> None:
    """The child's trajectory ended three years ago: its documents' term is over."""
    today = _today(app)
    db.session.get(Child, child.id).ended_on = today.replace(year=today.year - 3, day=1)
    db.session.commit()


def test_erasure_leaves_only_the_tombstone_and_the_audit_events(
    app,
    client,
    login_as,
    circle,
    make_clip,
    make_child,
    admin,
    media_root,
    runner,
    mailbox,
    monkeypatch,
):
    world = build_world(app, client, login_as, circle, make_clip, make_child)
    child, name, question = world.child, world.child.name, world.child.guiding_question
    _past_retention(app, child)
    assert runner.invoke(args=["audit-anchor"]).exit_code == 0  # the chain sealed before
    # Jobs now wait for a worker: a conversion, a cut and mails about each child.
    queue = hold_jobs(app, monkeypatch)
    recording = next(c for c in world.clips if c.parent_id is None)
    fragment = next(c for c in world.clips if c.parent_id is not None)
    conversion.convert_clip(recording.id)
    cutting.cut_fragment(fragment.id)
    login_as(circle.coach)
    assert invite(client, child, email="later@example.nl").status_code == 302
    assert invite(client, world.other, email="ander@example.nl").status_code == 302
    assert queue.pending_count() == 4

    found = rows_of_child(child.id)
    for table in ("clips", "moments", "clip_uploads", "clip_tombstones", "consent_records"):
        assert found.get(table), table
    for table in ("meetings", "agenda_items", "agreements", "meeting_summaries", "documents"):
        assert found.get(table), table
    for table in ("summary_acknowledgements", "memberships", "invitations", "audit_personal"):
        assert found.get(table), table
    events = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.child_id == child.id)
    )
    files_before = stored_files(media_root)
    other_files = {world.other_clip.web_key, world.other_clip.poster_key}
    assert len(files_before - other_files) >= 10  # footage, posters, PDFs, a partial upload

    client.post("/sign-out")
    login_as(admin)
    assert client.get(_url(child.id)).status_code == 200
    assert client.get(_url(child.id, "/confirm")).status_code == 200
    response = _erase(client, child, name=f"  {name.upper()} ")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "gewist" in page and name not in page
    db.session.expire_all()

    # Rows: nothing of the child's but the audit events; their personal details are gone.
    assert still_there(found) == {"audit_events": events}
    assert text_anywhere(name, question) == {}
    tombstone = db.session.get(ChildTombstone, child.id)
    assert tombstone.school_id == child.school_id and tombstone.erased_by_id == admin.id
    columns = set(ChildTombstone.__table__.c.keys())
    assert columns == {"id", "school_id", "erased_at", "erased_by_id"}
    erased = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "child_erased"))
    assert erased.child_id == child.id and erased.actor_id == admin.id
    assert db.session.get(Child, world.other.id) is not None
    # Files: only the other child's are left.
    assert stored_files(media_root) == other_files
    # Jobs: those about the child are revoked; run anyway, they find nothing and do nothing.
    pending = queue.pending()
    assert [queue.is_revoked(t) for t in pending] == [True, True, True, False]
    with app.app_context():
        for task in pending:
            queue.execute(task)
        assert conversion.convert(recording.id) is None
        assert cutting.cut(fragment.id) is None
    assert mailbox.to("later@example.nl") == [] and len(mailbox.to("ander@example.nl")) == 1
    assert stored_files(media_root) == other_files
    # The chain verifies, against the anchor made before the erasure too.
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 0, result.output
    assert "audit chain intact" in result.output and "all match" in result.output


def test_the_pupils_own_account_goes_with_its_sessions(
    app, client, login_as, circle, admin, make_user, make_child
):
    pupil = pupil_of_sixteen(circle.child, make_user)
    elsewhere = make_user("Ouder van twee")  # a parent of this child and of another one
    db.session.add(Membership(child_id=circle.child.id, user_id=elsewhere.id, role=Role.PARENT))
    db.session.commit()
    make_child("Broertje", coach=circle.coach, parents=(elsewhere,))
    own = app.test_client()
    login_as(pupil, on=own)
    assert own.get(f"/children/{circle.child.id}").status_code == 200
    signed_in = db.session.scalars(select(AuditEvent.id).where(AuditEvent.actor_id == pupil.id))
    signed_in = list(signed_in)
    login_as(admin)
    assert _erase(client, circle.child).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, pupil.id) is None
    assert db.session.scalar(select(func.count()).where(UserSession.user_id == pupil.id)) == 0
    assert all(db.session.get(AuditPersonal, event_id) is None for event_id in signed_in)
    assert all(db.session.get(AuditEvent, event_id) is not None for event_id in signed_in)
    assert "/sign-in" in own.get("/").headers.get("Location", "")
    # Everyone else keeps their account: the other parent, the coach, the second parent.
    for person in (elsewhere, circle.coach, circle.parent2):
        assert db.session.get(User, person.id) is not None


def test_a_new_child_never_gets_an_erased_childs_id(app, client, login_as, circle, admin):
    child_id = circle.child.id
    login_as(admin)
    assert _erase(client, circle.child).status_code == 302
    newcomer = Child(
        school_id=circle.child.school_id,
        name="Nieuw Kind",
        date_of_birth=date(2018, 3, 1),
        group_name="groep 3",
        guiding_question="?",
        started_on=date(2026, 9, 1),
    )
    db.session.add(newcomer)
    db.session.commit()
    assert newcomer.id > child_id


def test_documents_within_their_term_stay_detached_until_it_ends(
    app, client, login_as, circle, admin, media_root, runner
):
    sign_consent(app, circle.child, circle.parent)  # an open trajectory: the term starts now
    document = db.session.scalar(select(Document).where(Document.child_id == circle.child.id))
    path = media_root / document.storage_key
    until = documents.retention_ends(circle.child, _today(app))
    login_as(admin)
    page = client.get(_url(circle.child.id)).get_data(as_text=True)
    assert "1 ondertekend PDF-document" in page
    assert _erase(client, circle.child).status_code == 302
    db.session.expire_all()
    kept = db.session.get(Document, document.id)
    assert kept.child_id is None and kept.keep_until == until and path.is_file()
    with app.app_context():
        assert documents.purge_kept(db.session, until - timedelta(days=1)) == 0
    with time_machine.travel(datetime.combine(until, time(12), tzinfo=UTC), tick=False):
        result = runner.invoke(args=["purge"])
    assert "1 documents destroyed" in result.output, result.output
    db.session.expire_all()
    assert db.session.get(Document, document.id) is None and not path.exists()
    destroyed = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "document_destroyed")
    )
    assert destroyed.object_id == document.id


@pytest.mark.parametrize(
    "data, message",
    [
        ({"name": "Sam de Boer", "confirm": "y"}, "niet de volledige naam"),
        ({"name": "Sem de Boer"}, "Vink het vakje aan"),
        ({}, "Vul dit veld in"),
    ],
)
def test_a_wrong_name_or_no_confirmation_changes_nothing(
    app, client, login_as, circle, admin, media_root, make_clip, data, message
):
    make_clip(circle.child, circle.coach)
    login_as(admin)
    before, files = _counts(), stored_files(media_root)
    response = client.post(_url(circle.child.id, "/confirm"), data=data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    db.session.expire_all()
    assert _counts() == before and stored_files(media_root) == files
    assert db.session.get(Child, circle.child.id) is not None


def test_only_an_admin_of_the_childs_school_may_erase(
    app, client, login_as, circle, make_user, make_school, media_root, make_clip
):
    make_clip(circle.child, circle.coach)
    other_admin = make_user("Andere Beheerder", admin=True, of_school=make_school())
    before = _counts()
    expected = {
        circle.coach: 403,
        circle.teacher: 403,
        circle.specialist: 403,
        circle.parent: 403,
        other_admin: 404,
    }
    for person, status in expected.items():
        login_as(person)
        for response in (
            client.get(_url(circle.child.id)),
            client.get(_url(circle.child.id, "/confirm")),
            _erase(client, circle.child),
        ):
            assert response.status_code == status, (person.name, response.request.path)
        client.post("/sign-out")
    db.session.expire_all()
    signing_in = {"audit_events", "audit_personal", "audit_chain", "user_sessions"}
    after = _counts()
    assert {t: n for t, n in after.items() if t not in signing_in} == {
        t: n for t, n in before.items() if t not in signing_in
    }
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "child_erased")) is None
    with app.test_request_context(), pytest.raises(ForbiddenError):
        erasure.erase_child(
            db.session, circle.child, actor=other_admin, typed_name="Sem de Boer", confirmed=True
        )


def test_a_failed_erasure_keeps_every_row_and_file(
    app, circle, admin, media_root, make_clip, monkeypatch
):
    clip = make_clip(circle.child, circle.coach)
    with app.test_request_context():
        event = audit.record(db.session, "test_event", child=circle.child, personal={"e": "x"})
        db.session.commit()
    files = stored_files(media_root)

    def breaks(session, child):
        raise RuntimeError("disk on fire")

    # One more eraser is one more function in the list.
    monkeypatch.setattr(erasure, "ERASERS", (*erasure.ERASERS, breaks))
    with app.test_request_context(), pytest.raises(RuntimeError):
        erasure.erase_child(
            db.session, circle.child, actor=admin, typed_name="Sem de Boer", confirmed=True
        )
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(type(clip), clip.id) is not None
    assert db.session.get(AuditPersonal, event.id) is not None
    assert stored_files(media_root) == files and len(files) == 2
