"""Times in a clip follow the page's language: "0:10,2" in Dutch, "0:10.2" in English. Either
mark is read back in either language, and what a form is filled in with is read back as is."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.clips.models import Moment
from app.core.db import db
from app.core.timecode import format_time
from tests.support.player import add, page


@pytest.fixture
def clip(consent_one_parent_in_english, make_clip):
    clip = make_clip(consent_one_parent_in_english.child, consent_one_parent_in_english.coach)
    clip.duration_s = 30.0  # long enough for a time past ten seconds
    db.session.commit()
    return clip


def moment_times(html):
    """The times of the moment list, as shown (the hidden "play from" left out)."""
    links = re.findall(r'<a class="moment-time"[^>]*>(.*?)</a>', html, re.S)
    return [re.sub(r"<span[^>]*>.*?</span>|\s", "", unescape(link)) for link in links]


def prefilled_start(html):
    form = re.search(r"<form[^>]*data-moment-form.*?</form>", html, re.S).group(0)
    return unescape(re.search(r'<input[^>]*name="start"[^>]*value="([^"]*)"', form).group(1))


def test_a_time_has_the_decimal_mark_of_the_language(app):
    with app.app_context():
        with force_locale("en"):
            english = [format_time(t) for t in (10.2, 75, 3725.5)]
        with force_locale("nl"):
            dutch = [format_time(t) for t in (10.2, 75, 3725.5)]
    assert english == ["0:10.2", "1:15", "1:02:05.5"]
    assert dutch == ["0:10,2", "1:15", "1:02:05,5"]


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_the_clip_page_shows_times_in_the_pages_language(client, login_as, circle, clip):
    add(clip, circle.teacher, 10.2, end=12.5)
    login_as(circle.teacher)
    english = page(client, clip, lang="en").get_data(as_text=True)
    dutch = page(client, clip, lang="nl").get_data(as_text=True)
    assert moment_times(english) == ["0:10.2–0:12.5"]
    assert moment_times(dutch) == ["0:10,2–0:12,5"]
    # The player's script writes times with the same mark as the page.
    assert re.search(r'<div class="player"[^>]*data-decimal="\."', english)
    assert re.search(r'<div class="player"[^>]*data-decimal=","', dutch)


def post_moment(client, clip, start, lang):
    return client.post(
        f"/children/{clip.child_id}/clips/{clip.id}/moments?lang={lang}",
        data={"start": start, "end": "", "tag": "attentive", "text": "", "audience": "team"},
    )


@pytest.mark.usefixtures("consent_one_parent_in_english")
@pytest.mark.parametrize("typed", ["0:10,2", "0:10.2", "10,2", "10.2"])
def test_either_mark_is_read_in_either_language(client, login_as, circle, clip, typed):
    login_as(circle.teacher)
    assert post_moment(client, clip, typed, "en").status_code == 302
    assert post_moment(client, clip, typed, "nl").status_code == 302
    assert db.session.scalars(select(Moment.start_s)).all() == [10.2, 10.2]
    english = page(client, clip, lang="en").get_data(as_text=True)
    dutch = page(client, clip, lang="nl").get_data(as_text=True)
    assert moment_times(english) == ["0:10.2", "0:10.2"]
    assert moment_times(dutch) == ["0:10,2", "0:10,2"]


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_a_prefilled_time_is_read_back_as_it_stands(client, login_as, circle, clip):
    login_as(circle.teacher)
    shown = {
        lang: prefilled_start(page(client, clip, t="10.2", lang=lang).get_data(as_text=True))
        for lang in ("en", "nl")
    }
    assert shown == {"en": "0:10.2", "nl": "0:10,2"}
    for lang, start in shown.items():
        assert post_moment(client, clip, start, lang).status_code == 302
    assert db.session.scalars(select(Moment.start_s)).all() == [10.2, 10.2]


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_a_refusal_names_the_clips_end_in_the_pages_language(client, login_as, circle, clip):
    clip.duration_s = 20.5
    db.session.commit()
    login_as(circle.teacher)
    response = client.post(
        f"/children/{clip.child_id}/clips/{clip.id}/moments?lang=en",
        data={"start": "4", "end": "25", "tag": "attentive", "text": "", "audience": "team"},
    )
    assert response.status_code == 400
    assert db.session.scalar(select(Moment.start_s)) is None
    assert "The clip ends at 0:20.5." in response.get_data(as_text=True)


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_the_list_of_clips_writes_times_as_the_clip_page_does(client, login_as, circle, make_clip):
    recording = make_clip(circle.child, circle.coach, title="Lange ochtend")
    recording.duration_s = 3725.4  # a recording past an hour
    make_clip(circle.child, circle.coach, parent=recording, start_s=9.5, end_s=12.0, title="Kort")
    db.session.commit()
    login_as(circle.coach)
    base = f"/children/{circle.child.id}/clips"
    english = client.get(base, query_string={"lang": "en"}).get_data(as_text=True)
    dutch = client.get(base, query_string={"lang": "nl"}).get_data(as_text=True)
    # The length in whole seconds, with hours past an hour (it read "62:05").
    assert re.search(r'class="clip-duration">.*?</span>1:02:05</span>', english, re.S)
    # A fragment's in and out points with the page's decimal mark (it read "0:10–0:12").
    assert "0:09.5–0:12" in english
    assert "0:09,5–0:12" in dutch


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_a_clips_length_on_its_page_is_in_whole_seconds(client, login_as, circle, clip):
    clip.duration_s = 10.165
    db.session.commit()
    login_as(circle.teacher)
    html = page(client, clip, lang="en").get_data(as_text=True)
    facts = re.search(r'<p class="muted clip-facts">(.*?)</p>', html, re.S).group(1)
    assert "· 0:10 ·" in " ".join(facts.split())
