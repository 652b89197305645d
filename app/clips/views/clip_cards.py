"""The cards of the clip list, written out once in the view (templates/clips/_clip_card.html).

In the template each piece of a card was a filter, a global, a macro or a method called through
Jinja's context (some 400 function calls a card); here it is worked out in Python and the
template reads plain values.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import NamedTuple

from app.circle.audience import Audience
from app.circle.models import Child
from app.clips.models import Clip, ClipState, Source
from app.clips.services import listing
from app.clips.views.processing import processing_status
from app.core import paging
from app.core.i18n import format_date
from app.core.i18n import gettext as _
from app.core.timecode import format_time


class ClipCard(NamedTuple):
    """One clip of the list, as its card shows it; the card's macro unpacks it in this order."""

    id: int
    title: str
    fragment: bool  # shown as a fragment beneath its recording
    address: str
    poster: str | None
    duration: str | None  # whole seconds, as the clip's page writes a length
    span: str | None  # a fragment's "from–to" in its recording
    home: bool
    recorded: str | None  # "recorded on <date>"
    by: str | None  # "by <name>"
    audience: str
    audience_label: str
    state: str | None  # None when ready, else "failed" or "busy"
    state_text: str
    others: str | None  # None, "cleared" or "pending" (school side only)
    confirm_others: str | None
    share: str | None


class CardEntry(NamedTuple):
    """A recording's card with its fragments' cards beneath it (unpacked by the template)."""

    card: ClipCard
    fragments: list[ClipCard]


def cards(
    child: Child,
    entries: Sequence[listing.Entry],
    *,
    school_side: bool,
    edit_clip: bool,
    may_share: Collection[int],
) -> list[CardEntry]:
    """The cards of a page of the list: for the school side whether others in view are
    confirmed, the link to confirm them with ``edit_clip``, "who sees this" for ``may_share``."""
    addresses = {
        name: paging.address_of_items(f"clips.{name}", "clip_id", child_id=child.id)
        for name in ("show", "poster", "audience", "others_cleared")
    }
    labels = {audience: audience.label for audience in Audience}
    days: dict[date, str] = {}
    # Translated once per list; each card fills in its own date or name.
    recorded_on, by = _("recorded on %(date)s"), _("by %(name)s")

    def card(clip: Clip, fragment: bool) -> ClipCard:
        # Each column read once: an attribute of a loaded row is a call each time.
        id_, recorded, duration, uploader = (
            clip.id,
            clip.recorded_on,
            clip.duration_s,
            clip.uploader,
        )
        if recorded and recorded not in days:
            days[recorded] = format_date(recorded, "medium")
        others = None
        if school_side and clip.shows_others:
            others = "cleared" if clip.others_cleared_at else "pending"
        state, state_text = None, ""
        if clip.state != ClipState.READY:
            status = processing_status(clip)
            if status["state"] == "failed":
                state, state_text = "failed", status["label"]
            elif status["state"] == "processing":
                percent = status["progress"]
                state, state_text = "busy", _("Being converted: %(percent)d%%", percent=percent)
            else:
                state, state_text = "busy", status["label"]
        audience = clip.audience
        return ClipCard(
            id=id_,
            title=clip.title,
            fragment=fragment,
            address=addresses["show"].format(id=id_),
            poster=addresses["poster"].format(id=id_) if clip.poster_key else None,
            duration=None if duration is None else format_time(round(duration, 0)),
            span=f"{format_time(clip.start_s)}–{format_time(clip.end_s)}"
            if fragment or clip.parent_id is not None  # clip.is_fragment
            else None,
            home=clip.source == Source.HOME,
            recorded=recorded_on % {"date": days[recorded]} if recorded else None,
            by=by % {"name": uploader.name} if uploader else None,
            audience=str(audience),
            audience_label=labels[audience],
            state=state,
            state_text=state_text,
            others=others,
            confirm_others=addresses["others_cleared"].format(id=id_)
            if others == "pending" and edit_clip
            else None,
            share=addresses["audience"].format(id=id_) if id_ in may_share else None,
        )

    return [CardEntry(card(e.clip, False), [card(f, True) for f in e.fragments]) for e in entries]
