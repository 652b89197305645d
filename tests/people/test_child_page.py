"""The child's page: what other features contribute to it, in both languages, at a fixed cost."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import event

from app.core import child_page
from app.core.audience import Audience
from app.core.db import db
from tests.consent.helpers import sign_consent


def child_page_html(client, child, lang: str) -> str:
    response = client.get(f"/children/{child.id}?lang={lang}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_clip_count_stands_on_the_page_in_both_languages(
    app, client, login_as, circle, make_clip
):
    sign_consent(app, circle.child, circle.parent)
    make_clip(circle.child, circle.coach, audience=Audience.CIRCLE)
    make_clip(circle.child, circle.coach, audience=Audience.CIRCLE)
    make_clip(circle.child, circle.coach, audience=Audience.TEAM)
    login_as(circle.parent)
    name = circle.child.name
    assert f"You can see 2 clips of {name}." in child_page_html(client, circle.child, "en")
    assert f"Je kunt 2 video's van {name} bekijken." in child_page_html(client, circle.child, "nl")


def test_the_child_page_asks_as_many_queries_whatever_the_number_of_clips(
    app, client, login_as, circle, make_clip
):
    sign_consent(app, circle.child, circle.parent)
    login_as(circle.coach)

    def queries_for_page() -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, *args):  # noqa: ANN001
            if statement.lstrip().upper().startswith("SELECT"):
                seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            child_page_html(client, circle.child, "en")
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    make_clip(circle.child, circle.teacher)
    few = queries_for_page()
    for n in range(4):
        recording = make_clip(circle.child, (circle.coach, circle.specialist)[n % 2])
        make_clip(circle.child, circle.coach, parent=recording, start_s=1.0, end_s=3.0)
    assert queries_for_page() == few


def test_contributions_are_collected_by_name_in_their_order():
    app = Flask(__name__)
    child_page.contribute(app, "first", lambda session, user, child: (user, child))
    child_page.contribute(app, "second", lambda session, user, child: 2)
    with app.app_context():
        collected = child_page.collect(None, "user", "child")  # type: ignore[arg-type]
    assert list(collected.items()) == [("first", ("user", "child")), ("second", 2)]


def test_a_name_is_contributed_once_and_must_be_readable_in_a_template():
    app = Flask(__name__)
    child_page.contribute(app, "clip_count", lambda session, user, child: 0)
    with pytest.raises(ValueError, match="already"):
        child_page.contribute(app, "clip_count", lambda session, user, child: 1)
    with pytest.raises(ValueError, match="identifier"):
        child_page.contribute(app, "clip-count", lambda session, user, child: 1)


def test_an_app_without_contributions_collects_nothing():
    with Flask(__name__).app_context():
        assert child_page.collect(None, "user", "child") == {}  # type: ignore[arg-type]
