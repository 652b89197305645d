"""A page read with ?lang= keeps its language through the forms sent from it."""

from __future__ import annotations

from app.circle.models import User
from app.core.db import db


def page_language(response) -> str:
    page = response.get_data(as_text=True)
    return page.split('<html lang="', 1)[1].split('"', 1)[0]


def test_a_refused_form_sent_from_a_page_read_in_english_comes_back_in_english(
    client, login_as, circle
):
    assert db.session.get(User, circle.coach.id).preferred_language == "nl"
    login_as(circle.coach)
    page = f"/children/{circle.child.id}/invite"
    assert page_language(client.get(page + "?lang=en")) == "en"
    refused = client.post(
        page,
        data={"name": "", "email": "anna@example.nl", "role": "teacher"},
        headers={"Referer": f"http://localhost{page}?lang=en"},
    )
    assert refused.status_code == 200
    assert page_language(refused) == "en"
    # Without ?lang= on the page it was sent from: the saved language.
    saved = client.post(page, data={"name": "", "email": "anna@example.nl", "role": "teacher"})
    assert page_language(saved) == "nl"


def test_the_page_after_a_form_sent_in_english_is_in_english(client, login_as, circle):
    login_as(circle.coach)
    page = f"/children/{circle.child.id}/invite"
    sent = client.post(
        page,
        data={
            "name": "Anna de Vries",
            "email": "anna@example.nl",
            "role": "teacher",
            "language": "nl",
        },
        headers={"Referer": f"http://localhost{page}?lang=en"},
    )
    assert sent.status_code == 302
    assert "lang=en" in sent.headers["Location"]
    assert page_language(client.get(sent.headers["Location"])) == "en"


def test_choosing_a_language_on_a_page_read_with_lang_takes_the_choice(client, login_as, circle):
    login_as(circle.coach)
    page = f"/children/{circle.child.id}?lang=en"
    switched = client.post(
        "/language",
        data={"language": "nl", "next": page},
        headers={"Referer": f"http://localhost{page}"},
    )
    assert switched.status_code == 302
    assert "lang=" not in switched.headers["Location"]
    assert page_language(client.get(switched.headers["Location"])) == "nl"


def test_a_referer_from_another_site_does_not_choose_the_language(client, login_as, circle):
    login_as(circle.coach)
    page = f"/children/{circle.child.id}/invite"
    refused = client.post(
        page,
        data={"name": "", "email": "anna@example.nl", "role": "teacher"},
        headers={"Referer": f"http://elsewhere.example{page}?lang=en"},
    )
    assert page_language(refused) == "nl"


def test_saving_a_language_on_the_account_page_read_in_english_takes_the_choice(
    client, login_as, circle
):
    login_as(circle.coach)
    saved = client.post(
        "/account",
        data={"account-name": "Coach Carla", "account-language": "nl"},
        headers={"Referer": "http://localhost/account?lang=en"},
    )
    assert saved.status_code == 302
    assert "lang=" not in saved.headers["Location"]
    assert page_language(client.get(saved.headers["Location"])) == "nl"
