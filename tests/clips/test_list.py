"""The child's clips page: what each person sees listed, and what it offers them."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select

from app.circle.audience import Audience
from app.circle.models import Child, User
from app.clips.models import ClipState, Source
from app.consent import services as consent
from app.consent.models import Answer, Purpose
from app.core.audit import AuditEvent
from app.core.db import db
from app.core.signin import SignInMethod
from tests.support.consent import ALL_YES, sign_consent


def fresh(app, login_as, user):
    """A browser of its own for ``user`` (one person per client)."""
    return login_as(user, on=app.test_client())


def page(client, child) -> str:
    response = client.get(f"/children/{child.id}/clips")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_each_person_sees_only_the_clips_shared_with_them(app, client, login_as, circle, make_clip):
    sign_consent(app, circle.child, circle.parent)
    make_clip(circle.child, circle.teacher, title="Kring voor de klas", audience=Audience.TEAM)
    make_clip(circle.child, circle.coach, title="Rekenles met Sem", audience=Audience.CIRCLE)
    make_clip(circle.child, circle.coach, title="Eigen voorbereiding", audience=Audience.PRIVATE)
    make_clip(
        circle.child,
        circle.parent,
        source=Source.HOME,
        title="Aan tafel thuis",
        audience=Audience.PRIVATE,
    )

    client = fresh(app, login_as, circle.parent)
    html = page(client, circle.child)
    assert "Rekenles met Sem" in html
    assert "Aan tafel thuis" in html  # the parent's own upload, with its audience
    assert "Kring voor de klas" not in html
    assert "Eigen voorbereiding" not in html

    client = fresh(app, login_as, circle.teacher)
    html = page(client, circle.child)
    assert "Kring voor de klas" in html and "Rekenles met Sem" in html
    assert "Eigen voorbereiding" not in html
    assert "Aan tafel thuis" not in html  # the parent kept it private

    client = fresh(app, login_as, circle.coach)
    html = page(client, circle.child)
    # "Only me and the coaches": the coach, who guides, sees the parent's private upload too.
    for title in (
        "Kring voor de klas",
        "Rekenles met Sem",
        "Eigen voorbereiding",
        "Aan tafel thuis",
    ):
        assert title in html


def test_fragments_stand_under_their_recording_and_alone_when_it_is_not_shared(
    app, client, login_as, circle, make_clip
):
    sign_consent(app, circle.child, circle.parent)
    recording = make_clip(
        circle.child, circle.teacher, title="Opname kring", audience=Audience.TEAM
    )
    make_clip(
        circle.child,
        circle.coach,
        title="Fragment: Sem steekt zijn vinger op",
        parent=recording,
        start_s=10.0,
        end_s=20.0,
        audience=Audience.CIRCLE,
    )

    client = fresh(app, login_as, circle.teacher)
    html = page(client, circle.child)
    assert html.index("Opname kring") < html.index("Fragment: Sem steekt zijn vinger op")
    assert 'class="fragment-list"' in html

    client = fresh(app, login_as, circle.parent)
    html = page(client, circle.child)
    assert "Fragment: Sem steekt zijn vinger op" in html
    assert "Opname kring" not in html
    assert 'class="fragment-list"' not in html


def test_withdrawn_consent_empties_the_list(app, client, login_as, circle, make_clip):
    sign_consent(app, circle.child, circle.parent)
    make_clip(circle.child, circle.coach, title="Rekenles met Sem", audience=Audience.CIRCLE)
    client = fresh(app, login_as, circle.parent)
    assert "Rekenles met Sem" in page(client, circle.child)

    no_school = {**ALL_YES, Purpose.SCHOOL_RECORDING: Answer.NO}
    sign_consent(app, circle.child, circle.parent, answers=no_school)
    assert "Rekenles met Sem" not in page(client, circle.child)


def test_the_upload_link_follows_role_and_consent(app, client, login_as, circle):
    client = fresh(app, login_as, circle.teacher)
    html = page(client, circle.child)
    assert "/clips/upload" not in html  # nobody consented yet: the reason instead
    assert f"/children/{circle.child.id}/consent" in html

    sign_consent(app, circle.child, circle.parent)
    html = page(client, circle.child)
    assert f"/children/{circle.child.id}/clips/upload" in html

    client = fresh(app, login_as, circle.parent)
    html = page(client, circle.child)
    assert f"/children/{circle.child.id}/clips/upload" in html


def test_states_and_the_people_in_view_note_for_the_school_side(
    app, client, login_as, circle, make_clip
):
    sign_consent(app, circle.child, circle.parent)
    make_clip(circle.child, circle.teacher, title="Nog bezig", state=ClipState.UPLOADED)
    # Processing, but no worker holds it (its worker died): shown as failed, as on its page.
    make_clip(circle.child, circle.teacher, title="Vastgelopen", state=ClipState.PROCESSING)
    make_clip(circle.child, circle.teacher, title="Klas in beeld", shows_others=True)
    client = fresh(app, login_as, circle.coach)
    html = page(client, circle.child)
    assert "Nog bezig" in html
    assert "clip-state-busy" in html
    assert "clip-state-failed" in html
    assert "clip-others" in html
    assert "/others-cleared" in html


def test_the_list_is_one_query_whatever_the_number_of_clips(
    app, client, login_as, circle, make_clip
):
    from sqlalchemy import event

    sign_consent(app, circle.child, circle.parent)
    client = fresh(app, login_as, circle.coach)

    def queries_for_page() -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, *args):  # noqa: ANN001
            if statement.lstrip().upper().startswith("SELECT"):
                seen.append(statement)

        engine = db.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            page(client, circle.child)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    make_clip(circle.child, circle.teacher, title="Een")
    few = queries_for_page()
    for n in range(4):  # by other uploaders, with fragments: nothing loaded one by one
        uploader = (circle.coach, circle.specialist)[n % 2]
        recording = make_clip(circle.child, uploader, title=f"Opname {n}")
        make_clip(circle.child, circle.coach, parent=recording, start_s=1.0, end_s=3.0)
    assert queries_for_page() == few


def test_the_child_page_says_how_many_clips_there_are(app, client, login_as, circle, make_clip):
    sign_consent(app, circle.child, circle.parent)
    make_clip(circle.child, circle.coach, audience=Audience.CIRCLE)
    make_clip(circle.child, circle.coach, audience=Audience.TEAM)
    client = fresh(app, login_as, circle.parent)
    html = client.get(f"/children/{circle.child.id}?lang=en").get_data(as_text=True)
    assert f"/children/{circle.child.id}/clips" in html
    assert "You can see 1 clip of" in html
    client = fresh(app, login_as, circle.teacher)
    html = client.get(f"/children/{circle.child.id}?lang=en").get_data(as_text=True)
    assert "You can see 2 clips of" in html


def test_listing_changes_nothing(app, client, login_as, circle, make_clip):
    make_clip(circle.child, circle.coach, audience=Audience.CIRCLE)
    client = fresh(app, login_as, circle.coach)
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    page(client, circle.child)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_a_page_works_out_consent_once_and_a_withdrawal_shows_at_once(
    app, client, login_as, circle, make_clip
):
    from sqlalchemy import event

    sign_consent(app, circle.child, circle.parent)
    make_clip(circle.child, circle.coach, title="Een", audience=Audience.CIRCLE)
    client = fresh(app, login_as, circle.coach)
    seen: list[str] = []

    def count(conn, cursor, statement, *args):  # noqa: ANN001
        if "FROM memberships" in statement and "consent_records" in statement:
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert "Een" in page(client, circle.child)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    # Asked for every source and role on the page, worked out once.
    assert len(seen) == 1
    # Within one request, a withdrawal is seen at once: before and after it is stored.
    with app.test_request_context("/"):
        child = db.session.get(Child, circle.child.id)
        parent = db.session.get(User, circle.parent.id)
        assert consent.status(db.session, child).allows(Purpose.SCHOOL_RECORDING)
        consent.withdraw(
            db.session,
            child,
            parent,
            [Purpose.SCHOOL_RECORDING],
            nonce=secrets.token_hex(16),
            evidence=consent.Evidence("192.0.2.10", "pytest", SignInMethod.PASSWORD),
        )
        assert not consent.status(db.session, child).allows(Purpose.SCHOOL_RECORDING)
        db.session.rollback()
        assert consent.status(db.session, child).allows(Purpose.SCHOOL_RECORDING)
