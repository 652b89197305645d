"""The support plan in a child's export: the versions ``seat`` sees (every one on the school
side, the sent ones for parents and the pupil), each with its parts and items as the plan's
pages show them, who answered on the action part, and the sealed PDF of a sent version.

What an item was adopted from is left out: its link shows on the plan's page only to whoever
may see the source then, and a file kept for years must not carry a hint of it.
"""

from __future__ import annotations

from typing import Any

from app.children.export.shapes import (
    DATE,
    INSTANT,
    INT,
    NSTR,
    STR,
    Section,
    StoredEntry,
    array_of,
    obj,
    when,
)
from app.circle.policy import Seat
from app.core.db import DbSession
from app.core.i18n import gettext as _
from app.plans.models import PlanVersion
from app.plans.services import answers, document, drafts, parents, snapshot

ITEM = obj(
    "An item of a part: a factor, strength, need, goal or approach.",
    part=STR,
    text=STR,
    target_on=DATE,
    who=STR,
)
ANSWER = obj(
    "A guardian's (from 16 the pupil's) answer on the action part of a sent version.",
    name=STR,
    answered_at=INSTANT,
    agrees={"type": ["boolean", "null"]},
    reason=NSTR,
)
VERSION = obj(
    "A version of the support plan: the draft, or one sent to the parents (fixed).",
    version=INT,
    state={"enum": ["draft", "sent"]},
    sent_at=INSTANT,
    sha256=NSTR,
    plan_date=DATE,
    exit_profile=STR,
    exit_reasoning=STR,
    deviation=STR,
    evaluation=STR,
    pupil_view=STR,
    consulted_on=DATE,
    items=array_of("The version's items, part by part.", ITEM),
    parents_views=array_of(
        "The parents' own views, in their words.",
        obj("A parent's view.", name=STR, text=STR, written_at=STR),
    ),
    answers=array_of("Who answered on the action part (sent versions).", ANSWER),
)


def _answers(session: DbSession, version: PlanVersion) -> list[dict[str, Any]]:
    """Who answered on a sent version and how, with a decline's reason: what the version's
    page and its sealed PDF show everyone in the circle who reads the plan."""
    if not version.is_published:
        return []
    return [
        {
            "name": state.person.name,
            "answered_at": when(state.record.signed_at) if state.record else None,
            "agrees": state.record.agrees if state.record else None,
            "reason": (state.record.reason or None) if state.record else None,
        }
        for state in answers.states(session, version)
    ]


def plans_source(session: DbSession, seat: Seat) -> Section:
    """The support plan's versions ``seat`` sees, with their PDFs."""
    data, files = [], []
    for version in drafts.versions_for(session, seat):
        parts = snapshot.load(version) or snapshot.of(
            version, drafts.items_of(session, version), parents.views_of(session, seat.child)
        )
        issued = document.document_of(session, version)
        if issued is not None:
            files.append(StoredEntry(f"plan/version-{version.version}.pdf", issued.storage_key))
        data.append(
            {
                "version": version.version,
                "state": "sent" if version.is_published else "draft",
                "sent_at": when(version.published_at),
                "sha256": version.sha256,
                **{key: parts[key] for key in _PARTS},
                "items": [{key: item[key] for key in _ITEM} for item in parts["items"]],
                "parents_views": parts["parents_views"],
                "answers": _answers(session, version),
            }
        )
    schema = array_of("The support plan (OPP): its versions, newest first.", VERSION)
    note = "plan/: " + _("each sent version of the support plan as a sealed PDF.")
    return Section("plan", data, schema, files, readme=note if files else "")


_PARTS = (
    "plan_date",
    "exit_profile",
    "exit_reasoning",
    "deviation",
    "evaluation",
    "pupil_view",
    "consulted_on",
)
_ITEM = ("part", "text", "target_on", "who")
