"""The school admin's rule that every seal carries a trusted time (issue: timestamped seals)."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.circle.models import School
from app.core.audit import AuditEvent
from app.core.db import db

RULE = "Seals must carry a trusted time"


def test_the_rule_is_offered_only_where_an_authority_is_configured(
    app, client, login_as, circle, make_user, monkeypatch
):
    login_as(make_user("Beheerder Bea", admin=True))
    assert RULE not in client.get("/admin/?lang=en").get_data(as_text=True)
    monkeypatch.setitem(app.config, "SIGNING_TSA_URL", "http://127.0.0.1:9/tsa")
    assert RULE in client.get("/admin/?lang=en").get_data(as_text=True)


def test_the_admin_turns_the_rule_on_and_off_audited(
    app, client, login_as, circle, make_user, monkeypatch
):
    monkeypatch.setitem(app.config, "SIGNING_TSA_URL", "http://127.0.0.1:9/tsa")
    login_as(make_user("Beheerder Bea", admin=True))
    client.post("/admin/security", data={"seals_need_timestamp": "y"})
    assert db.session.get(School, circle.child.school_id).seals_need_timestamp is True
    client.post("/admin/security", data={})
    db.session.expire_all()
    assert db.session.get(School, circle.child.school_id).seals_need_timestamp is False
    changes = db.session.scalars(
        select(AuditEvent.data).where(AuditEvent.action == "school_timestamp_rule")
    ).all()
    assert [json.loads(c)["required"] for c in changes] == [True, False]


def test_without_an_authority_a_forged_post_leaves_the_rule_alone(
    client, login_as, circle, make_user
):
    login_as(make_user("Beheerder Bea", admin=True))
    client.post("/admin/security", data={"seals_need_timestamp": "y"})
    assert db.session.get(School, circle.child.school_id).seals_need_timestamp is False


def test_only_the_schools_admin_changes_it(client, login_as, circle):
    login_as(circle.coach)
    assert client.post("/admin/security", data={"seals_need_timestamp": "y"}).status_code == 403
    assert db.session.get(School, circle.child.school_id).seals_need_timestamp is False
