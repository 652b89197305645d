"""The support plan in a child's export: a parent's zip holds the sent version with its sealed
PDF and never the draft; the coach's holds the draft too; neither says what an item was
adopted from."""

from __future__ import annotations

import json

from tests.support.export import export_for, unzip
from tests.support.plans import draft_plan, sent_plan

DRAFT_GOAL = "CONCEPT-DOEL nog niet verstuurd"


def _plan(app, user, child):
    archive = unzip(app, export_for(app, user, child))
    return json.loads(archive.read("records.json"))["plan"], set(archive.namelist()), archive


def test_the_plan_goes_into_the_export_as_each_reader_sees_it(app, circle):
    sent, goal = sent_plan(app, circle.child, circle.coach)
    draft_plan(app, circle.child, circle.coach, goal=DRAFT_GOAL)

    versions, names, archive = _plan(app, circle.parent, circle.child)
    assert [(v["version"], v["state"]) for v in versions] == [(sent.version, "sent")]
    assert versions[0]["sha256"] == sent.sha256
    assert [i["text"] for i in versions[0]["items"]] == [goal.text]
    assert "plan/version-1.pdf" in names
    assert archive.read("plan/version-1.pdf").startswith(b"%PDF")
    assert DRAFT_GOAL not in archive.read("records.json").decode()
    assert all("source" not in item for v in versions for item in v["items"])
    # Who answers on the action part, and that nobody has yet.
    assert {a["name"] for a in versions[0]["answers"]} >= {circle.parent.name}
    assert all(a["agrees"] is None for a in versions[0]["answers"])

    versions, names, _archive = _plan(app, circle.coach, circle.child)
    assert [v["state"] for v in versions] == ["draft", "sent"]
    assert DRAFT_GOAL in [i["text"] for i in versions[0]["items"]]
    schema = json.loads(_archive.read("schema.json"))
    assert "plan" in schema["properties"]
