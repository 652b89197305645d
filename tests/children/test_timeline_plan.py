"""The support plan on a child's timeline: a draft begun (the school side only), a version
sent to the parents, and each parent's signed answer, as each reader may see them."""

from __future__ import annotations

import re

from tests.support.plans import answer_plan, draft_plan, sent_plan


def _entries(app, login_as, user, child) -> str:
    client = app.test_client()
    login_as(user, on=client)
    response = client.get(f"/children/{child.id}/timeline?lang=en")
    assert response.status_code == 200
    found = re.findall(
        r'<li class="timeline-entry">(.*?)</li>', response.get_data(as_text=True), re.S
    )
    return " | ".join(" ".join(re.sub(r"<[^>]+>", " ", e).split()) for e in found)


def test_the_plan_shows_on_the_timeline_as_each_reader_may_see_it(app, login_as, circle):
    version, _goal = sent_plan(app, circle.child, circle.coach)
    client = app.test_client()
    login_as(circle.parent, on=client)
    assert answer_plan(client, version, circle.parent.name).status_code == 302
    other = app.test_client()
    login_as(circle.parent2, on=other)
    assert answer_plan(other, version, circle.parent2.name, agree=False).status_code == 302
    draft_plan(app, circle.child, circle.coach, goal="Nieuw doel")

    coach = _entries(app, login_as, circle.coach, circle.child)
    assert "Support plan: version 2 begun" in coach
    assert f"Support plan: version 1 sent to the parents by {circle.coach.name}" in coach
    assert f"Support plan: agreed with version 1 by {circle.parent.name}" in coach
    assert f"Support plan: declined version 1 by {circle.parent2.name}" in coach
    assert "Support plan: version 1 begun" in coach
    # The teacher reads drafts too; a parent sees what was sent and who answered, no draft.
    assert "version 2 begun" in _entries(app, login_as, circle.teacher, circle.child)
    parent = _entries(app, login_as, circle.parent, circle.child)
    assert "begun" not in parent
    assert "Support plan: version 1 sent to the parents" in parent
    assert f"declined version 1 by {circle.parent2.name}" in parent
