"""The school admin's consent texts: drafts, publishing, and published versions never change."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.consent.default_texts import DEFAULT_TEXTS
from app.consent.forms import form_data_from
from app.consent.models import ConsentTemplate
from app.core.db import db


@pytest.fixture
def admin(make_user):
    return make_user("Beheerder Bea", admin=True)


def start(client) -> ConsentTemplate:
    assert client.post("/admin/consent/draft").status_code == 302
    return db.session.scalar(select(ConsentTemplate).order_by(ConsentTemplate.id.desc()))


def form_data(**changes):
    data = form_data_from(DEFAULT_TEXTS, 3)
    data.update(changes)
    return data


def test_admin_drafts_edits_and_publishes_a_version(client, login_as, admin):
    login_as(admin)
    draft = start(client)
    assert draft.version == 1 and draft.published_at is None
    response = client.post(
        f"/admin/consent/{draft.id}/edit",
        data=form_data(**{"nl-title": "Toestemming voor beelden", "retention_months": "6"}),
    )
    assert response.status_code == 302
    assert client.post(f"/admin/consent/{draft.id}/publish").status_code == 302
    published = db.session.get(ConsentTemplate, draft.id)
    assert published.published_at is not None and published.retention_months == 6
    assert published.texts["nl"]["title"] == "Toestemming voor beelden"
    page = client.get(f"/admin/consent/{draft.id}").get_data(as_text=True)
    assert "Toestemming voor beelden" in page and "6 maanden" in page


def test_a_published_version_cannot_be_edited_through_the_page(client, login_as, admin):
    login_as(admin)
    draft = start(client)
    client.post(f"/admin/consent/{draft.id}/publish")
    response = client.post(
        f"/admin/consent/{draft.id}/edit", data=form_data(**{"nl-title": "Stiekem anders"})
    )
    assert response.status_code == 302
    assert db.session.get(ConsentTemplate, draft.id).texts["nl"]["title"] != "Stiekem anders"
    client.post(f"/admin/consent/{draft.id}/publish")  # publishing again changes nothing
    assert db.session.scalar(select(func.count(ConsentTemplate.id))) == 1


def test_a_new_version_starts_from_the_current_text(client, login_as, admin):
    login_as(admin)
    first = start(client)
    client.post(f"/admin/consent/{first.id}/edit", data=form_data(**{"en-title": "Our own title"}))
    client.post(f"/admin/consent/{first.id}/publish")
    second = start(client)
    assert second.version == 2 and second.texts["en"]["title"] == "Our own title"
    assert start(client).id == second.id  # one draft at a time


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"nl-title": ""}, "nl-title"),
        ({"en-school_recording-label": ""}, "en-school_recording-label"),
        ({"nl-intro": "x" * 4001}, "nl-intro"),
        ({"retention_months": "0"}, "retention_months"),
        ({"retention_months": "13"}, "retention_months"),
        ({"retention_months": "veel"}, "retention_months"),
    ],
)
def test_bad_template_input_is_refused(client, login_as, admin, changes, field):
    login_as(admin)
    draft = start(client)
    before = dict(db.session.get(ConsentTemplate, draft.id).texts)
    response = client.post(f"/admin/consent/{draft.id}/edit", data=form_data(**changes))
    assert response.status_code == 200
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ConsentTemplate, draft.id).texts == before


def test_another_schools_template_is_404(client, login_as, admin, make_school, make_user):
    other_admin = make_user(admin=True, of_school=make_school("Andere School"))
    login_as(other_admin)
    theirs = start(client)
    client.post("/sign-out")
    login_as(admin)
    assert client.get(f"/admin/consent/{theirs.id}").status_code == 404
    assert client.post(f"/admin/consent/{theirs.id}/publish").status_code == 404
    assert db.session.get(ConsentTemplate, theirs.id).published_at is None


def test_staff_who_are_not_admins_cannot_edit_texts(client, login_as, circle):
    login_as(circle.coach)
    assert client.get("/admin/consent").status_code == 403
    assert client.post("/admin/consent/draft").status_code == 403
