"""The plan's draft and its versions: start a draft, edit its parts, add and remove items,
send it to the parents (which fixes it: app.core.versions and app.plans.lock).

A draft is started from the version in force, its items copied with their sources, so the
school edits on from what the parents last saw. Every change names the version it is made
to; a version sent meanwhile refuses the change with a clear message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.circle import policy
from app.circle.policy import Seat
from app.core import audit
from app.core.clock import local_date
from app.core.concurrency import StaleEditError, flush_versioned, parse_version
from app.core.db import DbSession
from app.core.errors import NotFoundError, RefusedError
from app.core.i18n import format_date
from app.core.i18n import lazy_gettext as _l
from app.core.versions import all_versions, check_draft, publish_version, published_version
from app.core.versions import draft_version as _draft_version
from app.core.versions import start_draft as _start_draft
from app.plans.models import Part, PlanItem, PlanVersion
from app.plans.services import document, notices, parents, snapshot

#: Why a sent version is not changed.
SENT_IS_FIXED = _l(
    "This version was sent to the parents and can no longer be changed. Start a new draft."
)
EMPTY_ITEM = _l("Write the text of this item.")
GOAL_NEEDS_DATE = _l("Give the date by which this goal should be reached.")
NO_GOAL = _l("Add at least one goal to the action part before sending the plan.")
ITEM_MAX = 2000


@dataclass(frozen=True)
class PartsData:
    """The parts of a plan that are one text each, as the coach fills them in."""

    plan_date: date
    exit_profile: str
    exit_reasoning: str
    deviation: str
    evaluation: str
    pupil_view: str
    consulted_on: date | None


@dataclass(frozen=True)
class ItemData:
    """One item of a part: its text, and for a goal its target date, for the approach who."""

    part: Part
    text: str
    target_on: date | None = None
    who: str = ""


def draft_of(session: DbSession, seat: Seat) -> PlanVersion | None:
    """The child's draft, or None."""
    return _draft_version(session, PlanVersion, child_id=seat.child.id)


def in_force(session: DbSession, seat: Seat) -> PlanVersion | None:
    """The newest version sent to the parents, or None."""
    return published_version(session, PlanVersion, child_id=seat.child.id)


def versions_for(session: DbSession, seat: Seat) -> list[PlanVersion]:
    """The versions ``seat`` sees, newest first: every one on the school side, the sent ones
    for the parents and the pupil."""
    found = all_versions(session, PlanVersion, child_id=seat.child.id)
    if policy.sees_plan_drafts(seat):
        return found
    return [v for v in found if v.is_published]


def version_or_404(session: DbSession, seat: Seat, version_id: int) -> PlanVersion:
    """A version of ``seat``'s child that ``seat`` sees (a draft only on the school side).
    Raises NotFoundError for a missing id, another child's version and a draft the person may
    not see alike."""
    found = session.scalar(
        select(PlanVersion).where(
            PlanVersion.id == version_id, PlanVersion.child_id == seat.child.id
        )
    )
    if found is None or not (found.is_published or policy.sees_plan_drafts(seat)):
        policy.log_denied("plan_version_missing_or_not_visible", seat.child.id)
        raise NotFoundError("plan_version_missing_or_not_visible")
    return found


def items_of(session: DbSession, version: PlanVersion) -> list[PlanItem]:
    """The version's items, part by part in the plan's order, each part in its own order."""
    order = {part: i for i, part in enumerate(Part)}
    rows = session.scalars(
        select(PlanItem)
        .where(PlanItem.plan_version_id == version.id)
        .options(
            selectinload(PlanItem.need),
            selectinload(PlanItem.agreement),
            selectinload(PlanItem.moment),
        )
        .order_by(PlanItem.position, PlanItem.id)
    )
    return sorted(rows, key=lambda item: order[item.part])


def _copy(in_force: PlanVersion | None, today: date) -> dict[str, Any]:
    if in_force is None:
        return {"plan_date": today}
    return {
        "plan_date": today,
        "exit_profile": in_force.exit_profile,
        "exit_reasoning": in_force.exit_reasoning,
        "deviation": in_force.deviation,
        "evaluation": in_force.evaluation,
        "pupil_view": in_force.pupil_view,
        "consulted_on": in_force.consulted_on,
    }


def start_draft(session: DbSession, seat: Seat) -> PlanVersion:
    """The child's draft: the one there is, or a new one filled from the version in force
    (its items copied with their sources), dated today. Added and flushed."""
    child = seat.child
    current = in_force(session, seat)
    draft, new = _start_draft(
        session,
        PlanVersion,
        lambda found: _copy(found, local_date()),
        actor_id=seat.user.id,
        child_id=child.id,
    )
    if new:
        # A goal of the version in force may lie before today: the new draft keeps the
        # earlier plan's date until the coach sets a new one.
        if current is not None:
            draft.plan_date = min(draft.plan_date, current.plan_date)
            for item in items_of(session, current):
                session.add(_item_copy(item, draft))
        session.flush()
        audit.record(session, "plan_draft_started", actor=seat.user, child=child, obj=draft)
    return draft


def _item_copy(item: PlanItem, draft: PlanVersion) -> PlanItem:
    return PlanItem(
        plan_version_id=draft.id,
        child_id=item.child_id,
        part=item.part,
        position=item.position,
        text=item.text,
        target_on=item.target_on,
        who=item.who,
        need_id=item.need_id,
        agreement_id=item.agreement_id,
        moment_id=item.moment_id,
    )


def require_draft(version: PlanVersion) -> None:
    """Refuse to change a version sent to the parents: raises RefusedError."""
    check_draft(version, SENT_IS_FIXED)


def _earliest_goal(session: DbSession, version: PlanVersion) -> date | None:
    found: date | None = session.scalar(
        select(func.min(PlanItem.target_on)).where(
            PlanItem.plan_version_id == version.id, PlanItem.part == Part.GOAL
        )
    )
    return found


def update_parts(
    session: DbSession, seat: Seat, version: PlanVersion, data: PartsData, *, seen: object
) -> None:
    """Save the draft's parts that are one text each, filled in on save number ``seen`` of
    the row. Raises RefusedError for a sent version and for a plan date after a goal's
    target date, StaleEditError when someone saved since ``seen``; nothing is changed then."""
    require_draft(version)
    if parse_version(seen) != version.edit_count:
        raise StaleEditError()
    earliest = _earliest_goal(session, version)
    if earliest is not None and data.plan_date > earliest:
        raise RefusedError(
            _l(
                "The plan's date cannot lie after a goal's target date (%(date)s)."
                " Change that goal first.",
                date=format_date(earliest, "long"),
            ),
            field="plan_date",
        )
    version.plan_date = data.plan_date
    version.exit_profile = data.exit_profile.strip()
    version.exit_reasoning = data.exit_reasoning.strip()
    version.deviation = data.deviation.strip()
    version.evaluation = data.evaluation.strip()
    version.pupil_view = data.pupil_view.strip()
    version.consulted_on = data.consulted_on
    flush_versioned(session)
    audit.record(session, "plan_draft_edited", actor=seat.user, child=seat.child, obj=version)


def check_item(version: PlanVersion, data: ItemData) -> ItemData:
    """The item as it will be stored (trimmed), or RefusedError naming the field: an empty
    text, a goal without a date or dated before the plan's date."""
    text = data.text.strip()
    if not text:
        raise RefusedError(EMPTY_ITEM, field="text")
    if len(text) > ITEM_MAX:
        raise RefusedError(_l("Use at most %(max)d characters.", max=ITEM_MAX), field="text")
    target_on = data.target_on if data.part is Part.GOAL else None
    if data.part is Part.GOAL:
        if target_on is None:
            raise RefusedError(GOAL_NEEDS_DATE, field="target_on")
        if target_on < version.plan_date:
            raise RefusedError(
                _l(
                    "A goal's target date cannot lie before the plan's date (%(date)s).",
                    date=format_date(version.plan_date, "long"),
                ),
                field="target_on",
            )
    who = data.who.strip() if data.part in (Part.AT_SCHOOL, Part.AT_HOME, Part.GOAL) else ""
    return ItemData(part=data.part, text=text, target_on=target_on, who=who)


def add_item(
    session: DbSession, seat: Seat, version: PlanVersion, data: ItemData, **source: int | None
) -> PlanItem:
    """Add an item at the end of its part in the draft ``version``; ``source`` names what it
    was adopted from (``need_id``, ``agreement_id`` or ``moment_id``). Raises RefusedError for
    a sent version and for bad input (:func:`check_item`); nothing is stored then."""
    require_draft(version)
    checked = check_item(version, data)
    last = session.scalar(
        select(func.max(PlanItem.position)).where(
            PlanItem.plan_version_id == version.id, PlanItem.part == checked.part
        )
    )
    item = PlanItem(
        plan_version_id=version.id,
        child_id=seat.child.id,
        part=checked.part,
        position=(last or 0) + 1,
        text=checked.text,
        target_on=checked.target_on,
        who=checked.who,
        **source,
    )
    session.add(item)
    session.flush()
    audit.record(
        session,
        "plan_item_added",
        actor=seat.user,
        child=seat.child,
        obj=item,
        data={"version": version.version, "part": str(checked.part), **source},
    )
    return item


def item_or_404(session: DbSession, version: PlanVersion, item_id: int) -> PlanItem:
    """An item of ``version`` by id; NotFoundError for any other."""
    found = session.scalar(
        select(PlanItem).where(PlanItem.id == item_id, PlanItem.plan_version_id == version.id)
    )
    if found is None:
        raise NotFoundError("plan_item_of_another_version")
    return found


def update_item(
    session: DbSession, seat: Seat, version: PlanVersion, item: PlanItem, data: ItemData
) -> None:
    """Change an item of the draft ``version`` (its part, text, date, who); its source stays.
    Raises RefusedError for a sent version and for bad input (:func:`check_item`); nothing
    is changed then."""
    require_draft(version)
    checked = check_item(version, data)
    item.part, item.text = checked.part, checked.text
    item.target_on, item.who = checked.target_on, checked.who
    session.flush()
    audit.record(
        session,
        "plan_item_changed",
        actor=seat.user,
        child=seat.child,
        obj=item,
        data={"version": version.version, "part": str(checked.part)},
    )


def remove_item(session: DbSession, seat: Seat, version: PlanVersion, item: PlanItem) -> None:
    """Take an item out of the draft. Raises RefusedError for a sent version."""
    require_draft(version)
    audit.record(
        session,
        "plan_item_removed",
        actor=seat.user,
        child=seat.child,
        obj=item,
        data={"version": version.version},
    )
    session.delete(item)
    session.flush()


def send(session: DbSession, seat: Seat, version: PlanVersion) -> PlanVersion:
    """Send the draft to the parents: it is fixed for good, with the canonical snapshot of
    its parts (the parents' views as they are now included) and that snapshot's SHA-256,
    its sealed PDF is issued, and each person who answers on it gets a mail
    (``notices.ask_to_answer``). Raises RefusedError for a sent version and for a plan
    without a goal, and what ``document.issue_pdf`` raises (then nothing is sent)."""
    require_draft(version)
    items = items_of(session, version)
    if not any(item.part is Part.GOAL for item in items):
        raise RefusedError(NO_GOAL)
    frozen = snapshot.of(version, items, parents.views_of(session, seat.child))
    version.snapshot = snapshot.canonical(frozen)
    version.sha256 = snapshot.digest(version.snapshot)
    publish_version(version, actor_id=seat.user.id)
    session.flush()
    document.issue_pdf(session, version, seat.child, actor=seat.user)
    audit.record(
        session,
        "plan_version_sent",
        actor=seat.user,
        child=seat.child,
        obj=version,
        data={"version": version.version, "sha256": version.sha256},
    )
    notices.ask_to_answer(session, seat, version)
    return version
