"""The clip page: the video without a download, the review prompts, moments in time order with
marks on a timeline, the keys; and what each person sees of it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from app.circle.audience import Audience
from app.clips.models import ClipState, Tag
from app.core.db import db
from tests.support.player import add, moment_texts, page


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_the_video_plays_from_the_checked_stream_and_offers_no_download(
    client, login_as, circle, make_clip
):
    clip = make_clip(circle.child, circle.coach, title="Kring op maandag")
    login_as(circle.teacher)
    response = page(client, clip)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Kring op maandag" in html
    video = re.search(r"<video[^>]*>", html, re.S).group(0)
    base = f"/children/{clip.child_id}/clips/{clip.id}"
    assert f'src="{base}/video"' in video
    assert f'poster="{base}/poster"' in video
    # Opening the page fetches nothing: only pressing play counts as watching.
    assert 'preload="none"' in video and "playsinline" in video
    assert 'controlslist="nodownload' in video
    # No link to the bytes and no download attribute anywhere: the only way to the video is
    # the player.
    assert f'href="{base}/video' not in html
    assert re.search(r"\sdownload(=|\s|>)", html) is None
    assert re.search(r'src="/static/js/player.js\?v=[0-9a-f]{12}"', html)


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_the_review_prompts_stand_beside_every_clip(client, login_as, circle, make_clip):
    clip = make_clip(circle.child, circle.coach, audience=Audience.CIRCLE)
    login_as(circle.parent)
    html = page(client, clip).get_data(as_text=True)
    for prompt in (
        "Which initiatives does the child take?",
        "How do we respond?",
        "What does the child need here?",
    ):
        assert prompt in html


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_moments_are_listed_in_time_order_with_a_mark_each(client, login_as, circle, make_clip):
    clip = make_clip(circle.child, circle.coach)
    add(clip, circle.teacher, 4.5, text="derde", tag=Tag.NEED)
    add(clip, circle.coach, 0.4, text="eerste", tag=Tag.SUCCESS)
    add(clip, circle.teacher, 2, text="tweede", end=3.5)
    login_as(circle.teacher)
    html = page(client, clip).get_data(as_text=True)
    assert moment_texts(html) == ["eerste", "tweede", "derde"]
    # Each moment carries what the player draws its mark on the timeline from.
    items = re.findall(r'<li class="moment" data-moment data-start="([0-9.]+)"([^>]*)>', html)
    assert [start for start, _ in items] == ["0.4", "2.0", "4.5"]
    assert 'data-end="3.5"' in items[1][1] and "data-end" not in items[0][1]
    assert 'data-mark="mark-success"' in items[0][1] and 'data-mark="mark-need"' in items[2][1]
    assert 'data-label="0:02 ' in items[1][1]
    links = re.findall(r'class="moment-time" href="[^"]*\?t=([0-9.]+)#player"', html)
    assert links == ["0.4", "2", "4.5"]
    # Each moment's time jumps there, also without script: the page starts the video there.
    assert "0:04.5" in html and "0:02–0:03.5" in html
    assert "Moment of success" in html and "Need: what does the child need here?" in html


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_a_moments_link_starts_the_video_at_that_time(client, login_as, circle, make_clip):
    clip = make_clip(circle.child, circle.coach)
    login_as(circle.coach)
    html = page(client, clip, t="4.5").get_data(as_text=True)
    assert re.search(r'src="[^"]*/video#t=4.5"', html)
    assert 'data-start="4.5"' in html
    # A time past the end starts at the end; nonsense starts at the beginning.
    assert 'data-start="6.0"' in page(client, clip, t="999").get_data(as_text=True)
    assert re.search(r'src="[^"#]*/video"', page(client, clip, t="nan").get_data(as_text=True))
    assert re.search(r'src="[^"#]*/video"', page(client, clip, t="abc").get_data(as_text=True))


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_a_parent_sees_only_the_moments_shared_with_the_circle(client, login_as, circle, make_clip):
    clip = make_clip(circle.child, circle.coach, audience=Audience.CIRCLE)
    add(clip, circle.coach, 1, text="voor iedereen", audience=Audience.CIRCLE)
    add(clip, circle.teacher, 2, text="voor het team", audience=Audience.TEAM)
    add(clip, circle.coach, 3, text="alleen coach", audience=Audience.PRIVATE)
    login_as(circle.parent)
    html = page(client, clip).get_data(as_text=True)
    assert moment_texts(html) == ["voor iedereen"]
    assert html.count("data-moment ") == 1  # and so one mark on the timeline
    # Nor the forms of the school side.
    assert "Mark a moment" not in html and "Save the fragment" not in html


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_the_team_sees_team_moments_and_the_keys(client, login_as, circle, make_clip):
    clip = make_clip(circle.child, circle.coach)
    add(clip, circle.coach, 1, text="voor iedereen", audience=Audience.CIRCLE)
    add(clip, circle.teacher, 2, text="voor het team", audience=Audience.TEAM)
    add(clip, circle.coach, 3, text="alleen coach", audience=Audience.PRIVATE)
    login_as(circle.specialist)
    html = page(client, clip).get_data(as_text=True)
    assert moment_texts(html) == ["voor iedereen", "voor het team"]
    # The keys are listed with what they do, and each control carries its key.
    for key, label in [("k", "Play or pause"), ("p", "Previous"), ("m", "Mark a moment")]:
        assert f"<kbd>{key}</kbd>" in html and label in html
    assert 'aria-keyshortcuts="m"' in html
    # A specialist marks moments but does not cut fragments.
    assert 'id="add-moment"' in html and 'id="fragment"' not in html


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_the_coach_sees_every_moment_and_the_fragment_tools(client, login_as, circle, make_clip):
    clip = make_clip(circle.child, circle.teacher)
    add(clip, circle.teacher, 2, text="van de juf", audience=Audience.PRIVATE)
    login_as(circle.coach)
    html = page(client, clip).get_data(as_text=True)
    assert moment_texts(html) == ["van de juf"]
    assert 'id="fragment"' in html and "Set in" in html and "<kbd>i</kbd>" in html


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_a_clip_of_another_child_is_not_found(client, login_as, circle, make_clip, make_child):
    other = make_child("Ander Kind", coach=circle.coach)
    sign_consent_for_other = make_clip(other, circle.coach)
    login_as(circle.coach)
    url = f"/children/{circle.child.id}/clips/{sign_consent_for_other.id}"
    assert client.get(url).status_code == 404


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_a_clip_outside_ones_audience_is_not_found(client, login_as, circle, make_clip):
    clip = make_clip(circle.child, circle.coach, audience=Audience.TEAM)
    login_as(circle.parent)
    assert page(client, clip).status_code == 404


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_a_clip_still_being_converted_shows_its_state_and_no_player(
    client, login_as, circle, make_clip
):
    clip = make_clip(circle.child, circle.coach, state=ClipState.PROCESSING)
    login_as(circle.coach)
    response = page(client, clip)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<video" not in html
    assert "Mark a moment" not in html
    assert "Which initiatives does the child take?" in html


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_a_fragment_names_its_recording_and_offers_no_cut(client, login_as, circle, make_clip):
    recording = make_clip(circle.child, circle.coach, title="Hele opname")
    fragment = make_clip(
        circle.child, circle.coach, title="Stukje", parent=recording, start_s=1.0, end_s=4.0
    )
    login_as(circle.coach)
    html = page(client, fragment).get_data(as_text=True)
    assert "Hele opname" in html and "0:01" in html and "0:04" in html
    assert 'id="fragment"' not in html
    assert "To cut another fragment, open the recording." in html


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_a_parent_learns_nothing_of_a_recording_kept_for_the_team(
    client, login_as, circle, make_clip
):
    recording = make_clip(circle.child, circle.coach, title="Hele opname voor het team")
    fragment = make_clip(
        circle.child,
        circle.coach,
        title="Gedeeld stukje",
        audience=Audience.CIRCLE,
        parent=recording,
        start_s=1.0,
        end_s=4.0,
    )
    login_as(circle.parent)
    html = page(client, fragment).get_data(as_text=True)
    assert "Gedeeld stukje" in html
    assert "Hele opname voor het team" not in html
    assert f"/clips/{recording.id}" not in html
    assert "Fragment from 0:01 to 0:04 of a longer recording." in html


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_the_page_asks_the_same_number_of_queries_however_many_moments(
    app, client, login_as, circle, make_clip
):
    clip = make_clip(circle.child, circle.coach)
    login_as(circle.teacher)

    def queries_for_page():
        count = 0

        def counter(*args):
            nonlocal count
            count += 1

        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            assert page(client, clip).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)
        return count

    add(clip, circle.teacher, 1)
    few = queries_for_page()
    for n in range(12):
        author = circle.coach if n % 2 else circle.teacher
        add(clip, author, 1 + n / 4, text=f"moment {n}")
    assert queries_for_page() == few


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_without_moments_the_page_offers_nothing_to_step_through_or_download(
    client, login_as, circle, make_clip
):
    clip = make_clip(circle.child, circle.coach, audience=Audience.CIRCLE)
    login_as(circle.parent)
    html = page(client, clip).get_data(as_text=True)
    assert "No moments marked yet." in html
    assert 'data-action="next-moment"' not in html and "Previous / next moment" not in html
    assert "Download as spreadsheet (CSV)" not in html
    # The timeline would be an empty bar: the parent has no fragment to set either.
    assert "data-timeline" not in html

    add(clip, circle.coach, 2, audience=Audience.CIRCLE)
    html = page(client, clip).get_data(as_text=True)
    assert 'data-action="next-moment"' in html and "Previous / next moment" in html
    assert "Download as spreadsheet (CSV)" in html
    assert "data-timeline" in html


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_use_the_current_time_stands_under_the_time_it_fills_in(
    client, login_as, circle, make_clip
):
    clip = make_clip(circle.child, circle.coach)
    login_as(circle.teacher)
    html = page(client, clip).get_data(as_text=True)
    form = re.search(r"<form[^>]*data-moment-form.*?</form>", html, re.S).group(0)
    start, button, end = (
        form.index('name="start"'),
        form.index('data-action="moment-now"'),
        form.index('name="end"'),
    )
    assert start < button < end


NASTY = "<b>\"Samen\" & 'zo'</b> {niet} een veld"


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_a_moments_values_are_escaped_in_its_row_and_the_long_note_cut(
    client, login_as, circle, make_clip
):
    # The rows are drawn once and filled in (app/clips/views/moment_list.py): each value
    # escaped as the template escapes it, braces and all, the adopt button's note cut as
    # |truncate(40) cuts it.
    clip = make_clip(circle.child, circle.coach)
    add(clip, circle.teacher, 1.25, text=NASTY + " lang" * 20, end=2)
    add(clip, circle.teacher, 3, text="")
    login_as(circle.coach)
    html = page(client, clip).get_data(as_text=True)
    escaped = "&lt;b&gt;&#34;Samen&#34; &amp; &#39;zo&#39;&lt;/b&gt; {niet} een veld"
    assert f'<p class="moment-text">{escaped}{" lang" * 20}</p>' in html
    assert 'data-start="1.25" data-end="2.0"' in html
    assert "0:01.2–0:02" in html
    cut = "&lt;b&gt;&#34;Samen&#34; &amp; &#39;zo&#39;&lt;/b&gt; {niet} een..."
    assert f"data-adopt-what>: {cut}</span>" in html
    # A moment without a note: no paragraph, the time named on the adopt button.
    assert "data-adopt-what>: 0:03</span>" in html
    assert html.count('<p class="moment-text">') == 1
