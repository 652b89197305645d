"""The plan's draft and its versions through the pages: the parts of an OPP, bad input (an
empty need, a goal dated before the plan), sending fixes a version for every route and
service, history and the comparison side by side, and what the parents see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.core.db import db
from app.core.errors import RefusedError
from app.core.immutable import ImmutableRecordError
from app.plans.models import Part, PlanItem, PlanVersion
from app.plans.services import drafts, snapshot
from tests.support.meetings import days_ahead
from tests.support.plans import draft_plan, seat_of, sent_plan


def plan_url(child, tail: str = "") -> str:
    return f"/children/{child.id}/plan{tail}"


def version_url(version, tail: str = "") -> str:
    return f"/children/{version.child_id}/plan/versions/{version.id}{tail}"


def item_count(version) -> int:
    return db.session.scalar(
        select(func.count()).select_from(PlanItem).where(PlanItem.plan_version_id == version.id)
    )


def parts_form(version, **values) -> dict[str, str]:
    """The parts form as the draft's page fills it in (with the row's save count), and
    ``values`` typed over it."""
    db.session.expire_all()
    data = {
        "edit_count": str(db.session.get(PlanVersion, version.id).edit_count),
        "plan_date": days_ahead(0).isoformat(),
        "exit_profile": "Vmbo-kader",
        "exit_reasoning": "Sem leert het best in kleine stappen.",
        "deviation": "",
        "evaluation": "",
        "pupil_view": "Ik wil graag zelf kunnen lezen.",
        "consulted_on": days_ahead(0).isoformat(),
    }
    return {**data, **values}


def test_the_coach_writes_every_part_and_sends_a_version(app, client, login_as, circle):
    login_as(circle.coach)
    response = client.post(plan_url(circle.child, "/draft"))
    assert response.status_code == 302
    draft = db.session.scalar(select(PlanVersion).where(PlanVersion.child_id == circle.child.id))
    assert client.post(version_url(draft, "/edit"), data=parts_form(draft)).status_code == 302
    for part, text, extra in [
        ("hindering", "Snel afgeleid door geluid", {}),
        ("supporting", "Betrokken ouders", {}),
        ("strength", "Helpt klasgenoten graag", {}),
        ("need", "Sem heeft korte instructies nodig", {}),
        (
            "goal",
            "Leest AVI E4 aan het eind van het jaar",
            {"target_on": days_ahead(200).isoformat()},
        ),
        ("at_school", "Instructie aan de verlengde tafel", {"who": "Juf Tamara"}),
        ("at_home", "Elke avond samen lezen", {"who": "Ouders"}),
    ]:
        answer = client.post(
            version_url(draft, "/items"), data={"part": part, "text": text, **extra}
        )
        assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    page = client.get(version_url(draft, "/edit")).get_data(as_text=True)
    for text in ["Vmbo-kader", "Snel afgeleid door geluid", "Juf Tamara", "Ik wil graag zelf"]:
        assert text in page
    assert client.post(version_url(draft, "/send")).status_code == 302
    db.session.expire_all()
    sent = db.session.get(PlanVersion, draft.id)
    assert sent.is_published
    assert sent.sha256 == snapshot.digest(sent.snapshot)
    assert '"part":"goal"' in sent.snapshot

    client = login_as(circle.parent, on=app.test_client())
    page = client.get(plan_url(circle.child)).get_data(as_text=True)
    assert "Leest AVI E4 aan het eind van het jaar" in page
    assert "Elke avond samen lezen" in page
    version_page = client.get(version_url(sent)).get_data(as_text=True)
    assert sent.sha256 in version_page


def test_a_parent_sees_no_draft(client, login_as, circle, app):
    draft = draft_plan(app, circle.child, circle.coach, goal="Geheim concept-doel")
    login_as(circle.parent)
    assert "Geheim concept-doel" not in client.get(plan_url(circle.child)).get_data(as_text=True)
    assert client.get(version_url(draft)).status_code == 404
    teacher = login_as(circle.teacher, on=app.test_client())
    assert teacher.get(version_url(draft)).status_code == 200


@pytest.mark.parametrize(
    "data, message",
    [
        ({"part": "need", "text": "   "}, "Vul dit veld in."),
        (
            {"part": "goal", "text": "Rekent tot 100"},
            "Geef de datum waarop dit doel bereikt moet zijn.",
        ),
        (
            {"part": "goal", "text": "Rekent tot 100", "target_on": "morgen"},
            "Vul een datum in zoals 2027-03-01.",
        ),
        ({"part": "elsewhere", "text": "Iets"}, "Kies een van de onderdelen uit de lijst."),
    ],
)
def test_a_bad_item_gets_a_clear_message_and_nothing_is_stored(
    client, login_as, circle, app, data, message
):
    draft = draft_plan(app, circle.child, circle.coach)
    before = item_count(draft)
    login_as(circle.coach)
    response = client.post(version_url(draft, "/items"), data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert item_count(draft) == before


def test_a_goal_dated_before_the_plan_is_refused(client, login_as, circle, app):
    draft = draft_plan(app, circle.child, circle.coach)
    login_as(circle.coach)
    earlier = (draft.plan_date - timedelta(days=1)).isoformat()
    response = client.post(
        version_url(draft, "/items"),
        data={"part": "goal", "text": "Te vroeg", "target_on": earlier},
    )
    assert response.status_code == 400
    assert "mag niet vóór de datum van het plan liggen" in response.get_data(as_text=True)
    assert item_count(draft) == 1


def test_a_plan_date_after_a_goal_is_refused(client, login_as, circle, app):
    draft = draft_plan(app, circle.child, circle.coach)
    login_as(circle.coach)
    late = days_ahead(365).isoformat()
    response = client.post(
        version_url(draft, "/edit"), data=parts_form(draft, plan_date=late, exit_profile="Havo")
    )
    assert response.status_code == 400
    assert (
        "De datum van het plan mag niet na de streefdatum van een doel liggen"
        in response.get_data(as_text=True)
    )
    db.session.expire_all()
    assert db.session.get(PlanVersion, draft.id).exit_profile == "Vmbo-kader"


def test_a_bad_parts_form_changes_nothing(client, login_as, circle, app):
    draft = draft_plan(app, circle.child, circle.coach)
    login_as(circle.coach)
    response = client.post(
        version_url(draft, "/edit"), data=parts_form(draft, plan_date="", exit_profile="Havo")
    )
    assert response.status_code == 400
    assert "Vul dit veld in." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PlanVersion, draft.id).exit_profile == "Vmbo-kader"


def test_a_plan_without_a_goal_is_not_sent(client, login_as, circle):
    login_as(circle.coach)
    client.post(plan_url(circle.child, "/draft"))
    draft = db.session.scalar(select(PlanVersion).where(PlanVersion.child_id == circle.child.id))
    page = client.post(version_url(draft, "/send"), follow_redirects=True).get_data(as_text=True)
    assert "Voeg minstens één doel toe" in page
    db.session.expire_all()
    assert not db.session.get(PlanVersion, draft.id).is_published


def test_a_sent_version_refuses_every_route(client, login_as, circle, app):
    version, item = sent_plan(app, circle.child, circle.coach)
    fixed = (version.snapshot, version.sha256, item_count(version))
    login_as(circle.coach)
    attempts = [
        ("/edit", parts_form(version, exit_profile="Havo")),
        ("/items", {"part": "need", "text": "Nog iets"}),
        (f"/items/{item.id}/remove", {}),
        (f"/items/{item.id}/edit", {"part": "goal", "text": "Anders", "target_on": "2099-01-01"}),
        ("/send", {}),
    ]
    for tail, data in attempts:
        response = client.post(version_url(version, tail), data=data)
        assert response.status_code == 409, tail
        page = response.get_data(as_text=True)
        assert "verstuurd naar de ouders en kan niet meer veranderen" in page
        assert "Leest zelfstandig" in page  # the sent version, as it stays
    db.session.expire_all()
    again = db.session.get(PlanVersion, version.id)
    assert (again.snapshot, again.sha256, item_count(again)) == fixed
    assert again.exit_profile == "Vmbo-kader"


def test_a_sent_version_refuses_every_service_and_the_orm(app, circle):
    version, item = sent_plan(app, circle.child, circle.coach)
    with app.test_request_context():
        seat = seat_of(circle.coach, circle.child)
        version = db.session.get(PlanVersion, version.id)
        data = drafts.PartsData(version.plan_date, "Havo", "", "", "", "", None)
        for call in [
            lambda: drafts.update_parts(db.session, seat, version, data, seen=version.edit_count),
            lambda: drafts.add_item(db.session, seat, version, drafts.ItemData(Part.NEED, "x")),
            lambda: drafts.remove_item(db.session, seat, version, item),
            lambda: drafts.update_item(
                db.session, seat, version, item, drafts.ItemData(Part.NEED, "x")
            ),
            lambda: drafts.send(db.session, seat, version),
        ]:
            with pytest.raises(RefusedError):
                call()
            db.session.rollback()
        version = db.session.get(PlanVersion, version.id)
        version.exit_profile = "Havo"
        with pytest.raises(ImmutableRecordError):
            db.session.flush()
        db.session.rollback()
        row = db.session.get(PlanItem, item.id)
        row.text = "Anders"
        with pytest.raises(ImmutableRecordError):
            db.session.flush()
        db.session.rollback()
        db.session.add(
            PlanItem(
                plan_version_id=version.id,
                child_id=version.child_id,
                part=Part.NEED,
                position=9,
                text="x",
            )
        )
        with pytest.raises(ImmutableRecordError):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.get(PlanVersion, version.id))
        with pytest.raises(ImmutableRecordError):
            db.session.flush()
        db.session.rollback()


def test_a_new_draft_starts_from_the_sent_version_and_the_two_compare_side_by_side(
    client, login_as, circle, app
):
    version, _item = sent_plan(app, circle.child, circle.coach)
    login_as(circle.coach)
    client.post(plan_url(circle.child, "/draft"))
    draft = db.session.scalar(
        select(PlanVersion).where(PlanVersion.child_id == circle.child.id, PlanVersion.version == 2)
    )
    assert item_count(draft) == 1  # the goal came along
    client.post(
        version_url(draft, "/edit"),
        data=parts_form(draft, plan_date=version.plan_date.isoformat(), exit_profile="Havo"),
    )
    client.post(version_url(draft, "/items"), data={"part": "strength", "text": "Doorzetter"})
    page = client.get(plan_url(circle.child, "/compare")).get_data(as_text=True)
    assert "Versie 1 en versie 2 naast elkaar" in page
    assert "<del>Vmbo-kader</del>" in page
    assert "<ins>Havo</ins>" in page
    assert "<ins>Doorzetter</ins>" in page
    # A parent compares only what was sent: with one sent version there is nothing yet.
    client = login_as(circle.parent, on=app.test_client())
    response = client.get(plan_url(circle.child, "/compare"))
    assert response.status_code == 302
    assert (
        client.get(
            plan_url(circle.child, f"/compare?older={version.id}&newer={draft.id}")
        ).status_code
        == 404
    )


def test_a_parent_writes_their_view_and_it_goes_with_the_next_version(
    client, login_as, circle, app
):
    version, _item = sent_plan(app, circle.child, circle.coach)
    login_as(circle.parent)
    bad = client.post(plan_url(circle.child, "/view"), data={"text": "  "})
    assert bad.status_code == 400
    assert "Vul dit veld in." in bad.get_data(as_text=True)
    ok = client.post(plan_url(circle.child, "/view"), data={"text": "Wij zien thuis veel groei."})
    assert ok.status_code == 302
    page = client.get(plan_url(circle.child)).get_data(as_text=True)
    assert "Wij zien thuis veel groei." in page
    assert "Ouder Petra" in page
    client = login_as(circle.coach, on=app.test_client())
    client.post(plan_url(circle.child, "/draft"))
    draft = db.session.scalar(
        select(PlanVersion).where(PlanVersion.child_id == circle.child.id, PlanVersion.version == 2)
    )
    client.post(version_url(draft, "/send"))
    db.session.expire_all()
    assert "Wij zien thuis veel groei." in db.session.get(PlanVersion, draft.id).snapshot
    assert "Wij zien thuis veel groei." not in db.session.get(PlanVersion, version.id).snapshot


def test_sending_issues_a_sealed_pdf_that_every_reader_downloads(
    app, client, login_as, circle, tmp_path
):
    from app.documents.models import Document, DocumentKind
    from tests.support.summaries import pdf_text

    version, _item = sent_plan(app, circle.child, circle.coach)
    document = db.session.scalar(select(Document).where(Document.subject_id == version.id))
    assert document.kind is DocumentKind.SUPPORT_PLAN
    login_as(circle.parent)
    response = client.get(version_url(version, "/pdf"))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = " ".join(pdf_text(response.get_data(), tmp_path).split())
    assert "Leest zelfstandig" in text
    assert "Vmbo-kader" in text
    assert version.sha256[:16] in text
    draft = draft_plan(app, circle.child, circle.coach)
    teacher = login_as(circle.teacher, on=app.test_client())
    assert teacher.get(version_url(draft, "/pdf")).status_code == 404


def test_the_coach_changes_an_item_and_bad_input_changes_nothing(client, login_as, circle, app):
    draft = draft_plan(app, circle.child, circle.coach)
    item = db.session.scalar(select(PlanItem).where(PlanItem.plan_version_id == draft.id))
    login_as(circle.coach)
    url = version_url(draft, f"/items/{item.id}/edit")
    assert "Leest zelfstandig" in client.get(url).get_data(as_text=True)
    earlier = (draft.plan_date - timedelta(days=1)).isoformat()
    bad = client.post(url, data={"part": "goal", "text": "Leest hardop", "target_on": earlier})
    assert bad.status_code == 400
    assert "mag niet vóór de datum van het plan liggen" in bad.get_data(as_text=True)
    empty = client.post(url, data={"part": "need", "text": " "})
    assert empty.status_code == 400
    db.session.expire_all()
    assert db.session.get(PlanItem, item.id).text == "Leest zelfstandig"
    later = days_ahead(100).isoformat()
    ok = client.post(url, data={"part": "goal", "text": "Leest hardop", "target_on": later})
    assert ok.status_code == 302
    db.session.expire_all()
    assert db.session.get(PlanItem, item.id).text == "Leest hardop"


def test_a_save_on_an_older_copy_is_refused_with_the_text_kept(client, login_as, circle, app):
    draft = draft_plan(app, circle.child, circle.coach)
    login_as(circle.coach)
    first = parts_form(draft, exit_profile="Havo")
    second = dict(first, exit_profile="Vwo")  # a second tab, opened at the same time
    assert client.post(version_url(draft, "/edit"), data=first).status_code == 302
    stale = client.post(version_url(draft, "/edit"), data=second)
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "Iemand anders heeft hier een wijziging opgeslagen" in page
    assert 'value="Vwo"' in page
    db.session.expire_all()
    assert db.session.get(PlanVersion, draft.id).exit_profile == "Havo"
