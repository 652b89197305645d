"""Where a plan item came from: adopting a need named in a meeting, an agreement or a clip's
moment into the draft in one action, and the evidence thread an item shows.

The link to a source is shown only to a viewer who may see that source now (the meeting
and its fragments, the agreement, the moment and its clip): anyone else sees the item as
it is, with no link and no hint that there is something they do not see.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from flask import url_for
from sqlalchemy import select

from app.circle.audience import visible_clause
from app.circle.policy import Seat
from app.clips.models import Moment, Tag
from app.clips.services import picking
from app.clips.services import queries as clip_queries
from app.core.clock import local_date
from app.core.db import DbSession
from app.core.errors import NotFoundError, RefusedError
from app.core.i18n import format_date
from app.core.i18n import gettext as _
from app.core.i18n import lazy_gettext as _l
from app.core.timecode import format_time
from app.meetings.models import AgendaItem, ItemNotes, Meeting
from app.meetings.models_followup import Agreement, Party
from app.meetings.services import agreements as meeting_agreements
from app.meetings.services import queries as meeting_queries
from app.plans.models import Part, PlanItem
from app.plans.services import drafts

EMPTY_NEED = _l("This need is empty: write what the child needs in the meeting first.")
ALREADY_ADOPTED = _l("This is already in the plan's draft.")


class SourceKind(enum.StrEnum):
    NEED = "need"
    AGREEMENT = "agreement"
    MOMENT = "moment"


@dataclass(frozen=True)
class Link:
    """One step of an item's evidence thread: what it is, and its page."""

    label: str
    url: str


# --- adopting -----------------------------------------------------------------------------


def _need_or_404(session: DbSession, seat: Seat, need_id: int) -> ItemNotes:
    need = session.scalar(
        select(ItemNotes).where(ItemNotes.id == need_id, ItemNotes.child_id == seat.child.id)
    )
    if need is None:
        raise NotFoundError("need_missing")
    meeting_queries.meeting_or_404(session, seat, need.meeting_id)
    if not _sees_item(session, seat, need):
        raise NotFoundError("need_of_an_item_not_seen")
    return need


def _sees_item(session: DbSession, seat: Seat, need: ItemNotes) -> bool:
    """True when ``seat`` may watch every fragment of the agenda item the need is about (as
    the meeting's page shows an item: only then)."""
    item = session.get(AgendaItem, need.item_id)
    if item is None:
        return False
    clips = {item.clip_id} | ({item.pair_clip_id} if item.pair_clip_id is not None else set())
    return picking.watchable_ids(session, seat, clips) == clips


def adopt(session: DbSession, seat: Seat, kind: SourceKind, source_id: int) -> PlanItem:
    """Adopt a need, an agreement or a moment that ``seat`` sees into the child's draft
    (started when there is none), keeping the link to it: a need as a need, an agreement as
    the approach at home or at school (its owner as who), a moment as a strength (one
    tagged as a need, as a need).

    Raises NotFoundError when ``seat`` does not see the source (another child's included),
    RefusedError for an empty need and for a source already in the draft."""
    if kind is SourceKind.NEED:
        need = _need_or_404(session, seat, source_id)
        if not need.need.strip():
            raise RefusedError(EMPTY_NEED)
        data = drafts.ItemData(part=Part.NEED, text=need.need)
        column = "need_id"
    elif kind is SourceKind.AGREEMENT:
        agreement = meeting_agreements.agreement_or_404(session, seat, source_id)
        part = Part.AT_HOME if agreement.party is Party.HOME else Part.AT_SCHOOL
        who = agreement.owner.name if agreement.owner is not None else ""
        data = drafts.ItemData(part=part, text=agreement.text, who=who[:120])
        column = "agreement_id"
    else:
        moment = picking.moment_to_pick(seat, source_id)
        text = moment.text.strip() or _("Moment at %(time)s", time=format_time(moment.start_s))
        part = Part.NEED if moment.tag is Tag.NEED else Part.STRENGTH
        data = drafts.ItemData(part=part, text=text)
        column = "moment_id"
    draft = drafts.start_draft(session, seat)
    taken = session.scalar(
        select(PlanItem.id).where(
            PlanItem.plan_version_id == draft.id, getattr(PlanItem, column) == source_id
        )
    )
    if taken is not None:
        raise RefusedError(ALREADY_ADOPTED)
    return drafts.add_item(session, seat, draft, data, **{column: source_id})


# --- the evidence thread ------------------------------------------------------------------


def _sees_meeting(session: DbSession, seat: Seat, meeting_id: int) -> bool:
    seen = meeting_queries.visible_meetings(seat).where(Meeting.id == meeting_id)
    return session.scalar(seen.with_only_columns(Meeting.id).order_by(None)) is not None


def _sees_moment(session: DbSession, seat: Seat, moment_id: int) -> bool:
    audience = visible_clause(
        seat, child_col=Moment.child_id, audience_col=Moment.audience, uploader_col=Moment.author_id
    )
    found = session.scalar(
        select(Moment.id)
        .join(Moment.clip)
        .where(Moment.id == moment_id, audience, clip_queries.clip_clause(seat))
    )
    return found is not None


def _moment_link(moment: Moment) -> Link:
    at = format_time(moment.start_s)
    label = _("Moment at %(time)s in “%(clip)s”", time=at, clip=moment.clip.title)
    url = url_for("clips.show", child_id=moment.child_id, clip_id=moment.clip_id)
    return Link(label, f"{url}?t={moment.start_s:g}#player")


def _need_links(session: DbSession, seat: Seat, need: ItemNotes) -> list[Link]:
    if not _sees_meeting(session, seat, need.meeting_id):
        return []
    if not _sees_item(session, seat, need):
        return []
    meeting = session.get(Meeting, need.meeting_id)
    assert meeting is not None
    links = []
    if need.need_moment is not None and _sees_moment(session, seat, need.need_moment.id):
        links.append(_moment_link(need.need_moment))
    links.append(
        Link(
            _(
                "Need named in the meeting of %(date)s",
                date=format_date(local_date(meeting.starts_at), "long"),
            ),
            url_for("meetings.show", child_id=meeting.child_id, meeting_id=meeting.id),
        )
    )
    return links


def _agreement_links(session: DbSession, seat: Seat, agreement: Agreement) -> list[Link]:
    seen = meeting_agreements.visible_agreements(seat).where(Agreement.id == agreement.id)
    if session.scalar(seen.with_only_columns(Agreement.id).order_by(None)) is None:
        return []
    when = format_date(local_date(agreement.meeting.starts_at), "long")
    return [
        Link(
            _("Agreement made in the meeting of %(date)s", date=when),
            url_for("meetings.agreement", child_id=agreement.child_id, agreement_id=agreement.id),
        )
    ]


def evidence(session: DbSession, seat: Seat, items: list[PlanItem]) -> dict[int, list[Link]]:
    """Per item id, the steps of its evidence thread ``seat`` may follow, oldest first
    (moment → need → agreement); an item whose source ``seat`` does not see has none."""
    found: dict[int, list[Link]] = {}
    for item in items:
        links: list[Link] = []
        if item.need is not None:
            links = _need_links(session, seat, item.need)
        elif item.agreement is not None:
            links = _agreement_links(session, seat, item.agreement)
        elif item.moment is not None and _sees_moment(session, seat, item.moment.id):
            links = [_moment_link(item.moment)]
        if links:
            found[item.id] = links
    return found
