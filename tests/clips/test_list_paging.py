"""The child's clip list in pages: a recording and its fragments stay together, a page costs
the same queries however many clips there are, and no page holds a clip the person may not
see."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from app.circle.audience import Audience
from app.clips.services import listing
from app.core.db import db
from tests.support.consent import sign_consent


@pytest.fixture
def per_page(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(listing, "PER_PAGE", 2)
    return 2


def titles(client, child, query: str = "") -> tuple[int, list[str], str]:
    response = client.get(f"/children/{child.id}/clips{query}")
    html = response.get_data(as_text=True)
    found = re.findall(
        r'<h2 id="clip-\d+-title" class="clip-title">\s*<a href="[^"]+">([^<]+)</a>', html
    )
    return response.status_code, found, html


@pytest.fixture
def five_entries(app, circle, make_clip):
    """Newest first: E, D (with two fragments), C, B, A; the parent sees C's fragment only."""
    sign_consent(app, circle.child, circle.parent)
    for title in ("A", "B"):
        make_clip(circle.child, circle.coach, title=title, audience=Audience.CIRCLE)
    c = make_clip(circle.child, circle.coach, title="C", audience=Audience.TEAM)
    make_clip(
        circle.child,
        circle.coach,
        title="C1",
        parent=c,
        start_s=1.0,
        end_s=3.0,
        audience=Audience.CIRCLE,
    )
    d = make_clip(circle.child, circle.coach, title="D", audience=Audience.CIRCLE)
    make_clip(
        circle.child,
        circle.coach,
        title="D2",
        parent=d,
        start_s=4.0,
        end_s=5.0,
        audience=Audience.CIRCLE,
    )
    make_clip(
        circle.child,
        circle.coach,
        title="D1",
        parent=d,
        start_s=1.0,
        end_s=2.0,
        audience=Audience.CIRCLE,
    )
    make_clip(circle.child, circle.coach, title="E", audience=Audience.CIRCLE)
    return circle


def test_a_recording_and_its_fragments_stay_together_on_a_page(
    client, login_as, five_entries, per_page
):
    login_as(five_entries.coach)
    child = five_entries.child
    status, found, html = titles(client, child, "?lang=en")
    # C1 was cut after C, so it is newer; it stands under C all the same.
    assert found == ["E", "D", "D1", "D2"]
    assert "Page 1 of 3" in html
    assert f'<a href="/children/{child.id}/clips?page=2" rel="next">' in html
    assert titles(client, child, "?page=2")[1] == ["C", "C1", "B"]
    assert titles(client, child, "?page=3")[1] == ["A"]


def test_a_fragment_whose_recording_is_hidden_is_an_entry_of_its_own(
    app, login_as, five_entries, per_page
):
    parent = login_as(five_entries.parent, on=app.test_client())
    child = five_entries.child
    # The parent does not see C: its fragment C1 counts as an entry where it stands.
    assert titles(parent, child)[1] == ["E", "D", "D1", "D2"]
    assert titles(parent, child, "?page=2")[1] == ["C1", "B"]
    status, found, html = titles(parent, child, "?page=3&lang=en")
    assert found == ["A"]
    assert "Page 3 of 3" in html
    assert ">C<" not in html


@pytest.mark.parametrize(("page", "first"), [("abc", "E"), ("0", "E"), ("-3", "E"), ("99999", "A")])
def test_a_page_number_that_makes_no_sense_gives_a_page(
    client, login_as, five_entries, per_page, page, first
):
    login_as(five_entries.coach)
    status, found, _ = titles(client, five_entries.child, f"?page={page}")
    assert status == 200
    assert found[0] == first


def test_a_page_asks_as_many_queries_whatever_the_number_of_clips(
    app, client, login_as, circle, make_clip, per_page
):
    sign_consent(app, circle.child, circle.parent)
    login_as(circle.coach)

    def queries() -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, *args):  # noqa: ANN001
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert titles(client, circle.child, "?page=2")[0] == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    def recording_with_fragment(n: int) -> None:
        recording = make_clip(circle.child, circle.coach, title=f"Opname {n}")
        make_clip(circle.child, circle.teacher, parent=recording, start_s=1.0, end_s=2.0)

    for n in range(3):
        recording_with_fragment(n)
    few = queries()
    for n in range(3, 8):
        recording_with_fragment(n)
    assert queries() == few


def test_a_card_reads_as_before_in_both_languages_and_escapes_what_people_typed(
    app, client, login_as, circle, make_user, make_clip
):
    sign_consent(app, circle.child, circle.parent)
    typed = make_user("Juf <b>Tamara</b> & co", staff=True)  # no need to be in the circle here
    recording = make_clip(circle.child, typed, title="Kring", shows_others=True)
    make_clip(circle.child, circle.coach, title="Stukje", parent=recording, start_s=1, end_s=3)
    login_as(circle.coach)
    child = circle.child
    status, found, html = titles(client, child, "?lang=en")
    assert found == ["Kring", "Stukje"]
    base = f"/children/{child.id}/clips/{recording.id}"
    assert f'<a href="{base}">Kring</a>' in html
    assert f'<img src="{base}/poster"' in html
    assert f'<a href="{base}/audience">Who sees this?' in html
    assert f'<a href="{base}/others-cleared">Confirm who is in view' in html
    assert "School recording" in html and "recorded on Oct 5, 2026" in html
    assert "by Juf &lt;b&gt;Tamara&lt;/b&gt; &amp; co" in html
    assert "Fragment 0:01–0:03" in html and "School team" in html
    html = titles(client, child, "?lang=nl")[2]
    assert "Opname van school" in html and "opgenomen op 5 okt 2026" in html
    assert "door Juf &lt;b&gt;Tamara&lt;/b&gt; &amp; co" in html
    assert "Wie ziet dit?" in html
