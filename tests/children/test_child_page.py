"""The child's page: what the features show on it, in both languages, at a fixed cost."""

from __future__ import annotations

from sqlalchemy import event

from app.circle.audience import Audience
from app.core.db import db
from tests.support.consent import sign_consent


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
