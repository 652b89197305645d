"""Support plans in tests, made through the real services (dates computed from the clock)."""

from __future__ import annotations

import base64
import re
from typing import Any

from app.circle.models import Child, User
from app.circle.policy import Seat, seat_for
from app.core.db import db
from app.plans.models import Part, PlanItem, PlanVersion
from app.plans.services import drafts
from tests.support.consent import signature_png
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


def answer_url(version: PlanVersion) -> str:
    return f"/children/{version.child_id}/plan/versions/{version.id}/answer"


def opened_answer_form(client: Any, version: PlanVersion) -> dict[str, str]:
    """The hidden fields of the answer form, as the page opens it for ``client``'s person."""
    page = client.get(answer_url(version)).get_data(as_text=True)
    match = re.search(r'name="token" type="hidden" value="([^"]+)"', page)
    assert match, page[:2000]
    return {"token": match.group(1), "version_id": str(version.id)}


def drawn_signature() -> str:
    """A drawn signature as the signature pad posts it (a PNG ``data:`` URL)."""
    return "data:image/png;base64," + base64.b64encode(signature_png()).decode()


def give_answer(client: Any, version: PlanVersion, **fields: str) -> Any:
    """Open the answer form as ``client``'s person and post it with ``fields``."""
    return client.post(answer_url(version), data={**opened_answer_form(client, version), **fields})


__all__ = [
    "answer_plan",
    "answer_url",
    "draft_plan",
    "drawn_signature",
    "give_answer",
    "opened_answer_form",
    "seat_of",
    "sent_plan",
]


def answer_plan(client: Any, version: PlanVersion, typed_name: str, *, agree: bool = True) -> Any:
    """Answer on ``version``'s action part as the person signed in on ``client``, with a
    typed signature; a decline gives a reason."""
    said = {"answer": "agree"} if agree else {"answer": "decline", "reason": "Nog niet eens."}
    return give_answer(client, version, typed_name=typed_name, type_signature="y", **said)
