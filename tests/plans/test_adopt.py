"""Adopting a need, an agreement or a moment into the plan in one action: the link to the
source is kept and shown to whoever may see the source, and a parent who may not sees the
item without a link and without a hint; sources a person does not see cannot be adopted."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app.core.db import db
from app.meetings.models import AgendaItem, ItemNotes
from app.plans.models import Part, PlanItem, PlanVersion


def adopt(client, child, kind: str, source_id: int):
    return client.post(
        f"/children/{child.id}/plan/adopt", data={"kind": kind, "source_id": str(source_id)}
    )


def items() -> list[PlanItem]:
    db.session.expire_all()
    return list(db.session.scalars(select(PlanItem).order_by(PlanItem.id)))


def send_with_a_goal(client, child) -> PlanVersion:
    draft = db.session.scalar(select(PlanVersion).where(PlanVersion.child_id == child.id))
    base = f"/children/{child.id}/plan/versions/{draft.id}"
    goal = {"part": "goal", "text": "Werkt tien minuten zelfstandig", "target_on": "2099-01-01"}
    assert client.post(base + "/items", data=goal).status_code == 302
    assert client.post(base + "/send").status_code == 302
    return draft


def test_adopting_keeps_the_source_and_shows_the_thread_to_the_coach(
    app, client, login_as, circle, sources
):
    login_as(circle.coach)
    for kind, source in [
        ("need", sources["need"]),
        ("agreement", sources["agreement"]),
        ("moment", sources["moment"]),
    ]:
        response = adopt(client, circle.child, kind, source.id)
        assert response.status_code == 302
    adopted = items()
    assert [(i.part, i.need_id, i.agreement_id, i.moment_id) for i in adopted] == [
        (Part.NEED, sources["need"].id, None, None),
        (Part.AT_HOME, None, sources["agreement"].id, None),
        (Part.STRENGTH, None, None, sources["moment"].id),
    ]
    assert adopted[1].who == "Ouder Petra"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sem heeft een rustige plek nodig bij de instructie" in page
    meeting = sources["school_only"]
    assert f"/children/{circle.child.id}/meetings/{meeting.id}" in page
    assert "Onderwijsbehoefte genoemd in het overleg van" in page
    assert "Moment op 0:12 in “Rekenles”" in page  # the moment the need cites, then the need
    assert "Afspraak uit het overleg van" in page


def test_a_parent_sees_the_items_without_links_to_what_they_may_not_see(
    app, client, login_as, circle, sources
):
    login_as(circle.coach)
    adopt(client, circle.child, "need", sources["need"].id)
    adopt(client, circle.child, "moment", sources["moment"].id)
    adopt(client, circle.child, "agreement", sources["agreement"].id)
    version = send_with_a_goal(client, circle.child)

    parent = login_as(circle.parent, on=app.test_client())
    for url in [
        f"/children/{circle.child.id}/plan",
        f"/children/{circle.child.id}/plan/versions/{version.id}",
    ]:
        page = parent.get(url).get_data(as_text=True)
        # The items themselves are the plan: the parent reads them.
        assert "Sem heeft een rustige plek nodig bij de instructie" in page
        assert "Sem helpt een klasgenoot bij de som" in page
        # The school-only meeting and the team's moment: no link, no hint.
        assert f"/meetings/{sources['school_only'].id}" not in page
        assert "Onderwijsbehoefte genoemd" not in page
        assert "Rekenles" not in page
        assert f"/clips/{sources['clip'].id}" not in page
        # The agreement of the meeting the parent was invited to: its link is there.
        assert f"/agreements/{sources['agreement'].id}" in page
        assert page.count("Komt uit:") == 1
    # The second parent was invited to neither meeting and owns no agreement: no link at all.
    other = login_as(circle.parent2, on=app.test_client())
    page = other.get(f"/children/{circle.child.id}/plan").get_data(as_text=True)
    assert "Thuis elke avond tien minuten samen lezen" in page
    assert "Komt uit:" not in page


def test_what_the_coach_may_not_see_cannot_be_adopted(
    app, client, login_as, circle, sources, make_child
):
    other = make_child("Lotte", coach=circle.coach)
    login_as(circle.coach)
    # Another child's need, named under this child: 404, nothing stored.
    response = client.post(
        f"/children/{other.id}/plan/adopt",
        data={"kind": "need", "source_id": str(sources["need"].id)},
    )
    assert response.status_code == 404
    assert adopt(client, circle.child, "moment", 999999).status_code == 404
    assert adopt(client, circle.child, "elsewhere", 1).status_code == 404
    assert items() == []


def test_an_empty_need_or_one_adopted_twice_is_refused_clearly(
    app, client, login_as, circle, sources
):
    login_as(circle.coach)
    assert adopt(client, circle.child, "need", sources["need"].id).status_code == 302
    page = client.post(
        f"/children/{circle.child.id}/plan/adopt",
        data={"kind": "need", "source_id": str(sources["need"].id)},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Dit staat al in het concept van het plan." in page
    need = db.session.get(ItemNotes, sources["need"].id)
    need.need = ""
    db.session.commit()
    # Taken out of the draft and emptied in the meeting: nothing to adopt.
    db.session.query(PlanItem).delete()
    db.session.commit()
    page = client.post(
        f"/children/{circle.child.id}/plan/adopt",
        data={"kind": "need", "source_id": str(sources["need"].id)},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Deze behoefte is leeg" in page
    assert db.session.scalar(select(func.count()).select_from(PlanItem)) == 0
    bad = client.post(f"/children/{circle.child.id}/plan/adopt", data={"kind": "need"})
    assert bad.status_code == 400
    assert "Niets overgenomen" in bad.get_data(as_text=True)


def test_the_adopt_buttons_sit_beside_the_sources_for_the_coach_only(
    app, client, login_as, circle, sources
):
    meeting = sources["with_parent"]
    login_as(circle.coach)
    page = client.get(f"/children/{circle.child.id}/meetings/{meeting.id}").get_data(as_text=True)
    assert f'name="source_id" value="{sources["agreement"].id}"' in page
    page = client.get(f"/children/{circle.child.id}/clips/{sources['clip'].id}").get_data(
        as_text=True
    )
    assert f'name="source_id" value="{sources["moment"].id}"' in page
    mode = client.get(f"/children/{circle.child.id}/meetings/{sources['school_only'].id}/mode")
    assert f'name="source_id" value="{sources["need"].id}"' in mode.get_data(as_text=True)
    parent = login_as(circle.parent, on=app.test_client())
    page = parent.get(f"/children/{circle.child.id}/meetings/{meeting.id}").get_data(as_text=True)
    assert "Overnemen in het plan" not in page


def _adopt_form_of(page: str, item_id: int) -> str:
    """The "Adopt into the plan" form in meeting mode's section of agenda item ``item_id``."""
    section = re.search(
        rf'<section class="mode-item card" id="item-{item_id}".*?</section>', page, flags=re.S
    )
    assert section is not None
    form = re.search(r'<form [^>]*data-adopt="need".*?</form>', section.group(0), flags=re.S)
    assert form is not None, "no adopt form in the item"
    return form.group(0)


def test_a_need_written_in_meeting_mode_is_adopted_without_reloading_the_page(
    client, login_as, circle, sources
):
    """Meeting mode saves notes by script, so the page is not rendered again: the item's
    adopt button is there from the start, hidden until a need is saved, and the save says
    which notes it stored so the button can name them."""
    login_as(circle.coach)
    meeting = sources["school_only"]
    item = AgendaItem(
        meeting_id=meeting.id, child_id=circle.child.id, position=2, clip_id=sources["clip"].id
    )
    db.session.add(item)
    db.session.commit()
    mode = f"/children/{circle.child.id}/meetings/{meeting.id}/mode"
    step = client.get(f"{mode}/items/{item.id}")  # the item's step of meeting mode
    form = _adopt_form_of(step.get_data(as_text=True), item.id)
    assert " hidden>" in form.split("\n", 1)[0]  # nothing to adopt yet
    assert 'name="source_id" value=""' in form

    need = "Sem heeft nodig dat de juf de eerste som met hem samen maakt"
    p = f"item-{item.id}-"
    saved = client.post(
        f"{mode}/items/{item.id}/notes",
        data={p + "seen": "Hij wacht", p + "need": need, p + "moment": "", p + "version": "0"},
        headers={"Accept": "application/json"},
    )
    assert saved.status_code == 200
    body = saved.get_json()
    notes = db.session.scalar(select(ItemNotes).where(ItemNotes.item_id == item.id))
    assert notes is not None
    assert body["notes_id"] == notes.id and body["need"] == need

    adopted = adopt(client, circle.child, "need", body["notes_id"])
    assert adopted.status_code == 302
    assert [(i.part, i.text, i.need_id) for i in items()] == [(Part.NEED, need, notes.id)]
    # Shown again (a reload), the button stands for the saved need, visible.
    step = client.get(f"{mode}/items/{item.id}")  # the item's step of meeting mode
    form = _adopt_form_of(step.get_data(as_text=True), item.id)
    assert " hidden>" not in form.split("\n", 1)[0]
    assert f'name="source_id" value="{notes.id}"' in form
