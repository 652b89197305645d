"""Support plans in tests, made through the real services (dates computed from the clock)."""

from __future__ import annotations

import re
from typing import Any

from app.circle.models import Child, User
from app.circle.policy import Seat, seat_for
from app.core.db import db
from app.plans.models import Part, PlanItem, PlanVersion
from app.plans.services import drafts
from tests.support.meetings import days_ahead


def seat_of(user: User, child: Child) -> Seat:
    seat = seat_for(db.session.get(User, user.id), db.session.get(Child, child.id))
    assert seat is not None
    return seat


def draft_plan(app: Any, child: Child, coach: User, goal: str = "Leest zelfstandig") -> PlanVersion:
    """The child's draft with one goal (target date half a year ahead), committed."""
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        seat = seat_of(coach, child)
        version = drafts.start_draft(db.session, seat)
        version.exit_profile = "Vmbo-kader"
        data = drafts.ItemData(part=Part.GOAL, text=goal, target_on=days_ahead(180), who="Juf")
        drafts.add_item(db.session, seat, version, data)
        db.session.commit()
        version_id = version.id
    found = db.session.get(PlanVersion, version_id)
    assert found is not None
    return found


def sent_plan(app: Any, child: Child, coach: User) -> tuple[PlanVersion, PlanItem]:
    """A version of the child's plan with one goal, sent to the parents; and that goal."""
    version = draft_plan(app, child, coach)
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        seat = seat_of(coach, child)
        found = db.session.get(PlanVersion, version.id)
        assert found is not None
        drafts.send(db.session, seat, found)
        db.session.commit()
    item = db.session.query(PlanItem).filter_by(plan_version_id=version.id).one()
    return db.session.get(PlanVersion, version.id), item  # type: ignore[return-value]


__all__ = ["draft_plan", "seat_of", "sent_plan"]


def answer_plan(client: Any, version: PlanVersion, typed_name: str, *, agree: bool = True) -> Any:
    """Answer on ``version``'s action part as the person signed in on ``client``, through the
    page (its form's token), with a typed signature; a decline gives a reason."""
    url = f"/children/{version.child_id}/plan/versions/{version.id}/answer"
    page = client.get(url).get_data(as_text=True)
    found = re.search(r'name="token" type="hidden" value="([^"]+)"', page)
    assert found is not None, "no answer form on the page"
    data = {"token": found.group(1), "version_id": str(version.id), "typed_name": typed_name}
    data |= {"answer": "agree"} if agree else {"answer": "decline", "reason": "Nog niet eens."}
    return client.post(url, data={**data, "type_signature": "y"})
