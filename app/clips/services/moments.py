"""Moments marked in a clip, a school's own tags for them, and the moments as CSV or WebVTT.

Who may add a moment is the route's rule (``Action.ADD_MOMENT``); which audiences the author
may choose is ``settable_audiences``. These services check what the data must satisfy:
a time within the clip, a tag the school knows, a note of sensible length.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple, cast

from sqlalchemy import ColumnElement, Select, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.circle import policy
from app.circle.audience import Audience, audience_or_403, visible_or_404
from app.circle.models import Child, Role, School, User
from app.circle.policy import Seat
from app.clips.forms import NOTE_MAX, OWN_TAG_PREFIX, TAG_LABEL_MAX, TAG_LABELS
from app.clips.models import Clip, Moment, MomentTag, Tag
from app.clips.services import queries
from app.core import audit
from app.core.db import DbSession
from app.core.errors import ForbiddenError, NotFoundError, RefusedError
from app.core.i18n import gettext as _
from app.core.i18n import lazy_gettext as _l
from app.core.timecode import format_time

#: A cue in the WebVTT export lasts this long when the moment has no end of its own.
CUE_SECONDS = 4.0


@dataclass(frozen=True)
class MomentData:
    start_s: float
    end_s: float | None
    tag: str  # a Tag value, or "own-<id>" for the school's own tag
    text: str
    audience: Audience


# --- tags --------------------------------------------------------------------------------


def school_tags(session: DbSession, school_id: int) -> list[MomentTag]:
    """The school's own tags, by label."""
    return list(session.scalars(_school_tags_statement(), {"school_id": school_id}))


@lru_cache(maxsize=1)
def _school_tags_statement() -> Select[MomentTag]:
    # Built once: every clip page's moment form asks it.
    return (
        select(MomentTag)
        .where(MomentTag.school_id == bindparam("school_id"))
        .order_by(MomentTag.label)
    )


def tag_choices(session: DbSession, school_id: int) -> list[tuple[str, Any]]:
    """The choices of a moment's tag as (value, label): the method's tags first, then the
    school's own."""
    method = [(tag.value, TAG_LABELS[tag]) for tag in Tag]
    # The school's tags as (id, label) rows: the choices need no more of them.
    rows = session.execute(_own_choices_statement(), {"school_id": school_id})
    own: list[tuple[str, Any]] = [(f"{OWN_TAG_PREFIX}{id_}", label) for id_, label in rows]
    return method + own


@lru_cache(maxsize=1)
def _own_choices_statement() -> Select[int, str]:
    return _school_tags_statement().with_only_columns(MomentTag.id, MomentTag.label)


def tag_label(moment: Moment) -> str:
    """How a moment's tag reads, in the current language."""
    custom = moment.custom_tag
    return label_of_tag(moment.tag, None if custom is None else custom.label)


def label_of_tag(tag: Tag | str | None, own_label: str | None) -> str:
    """How a moment's tag reads, in the current language: one of the method's tags, else the
    school's own label (``own_label``), else that the label was removed."""
    if tag is not None:
        return str(TAG_LABELS[Tag(tag)])
    if own_label is not None:
        return own_label
    return _("Label removed")


def add_school_tag(session: DbSession, school: School, label: str, *, actor: User) -> MomentTag:
    """Add a label of the school's own. Raises RefusedError for an empty, too long or
    duplicate label (case and spacing ignored, the method's own tags included), also when
    the same label was added at the same moment by another request."""
    label = " ".join(label.split())
    if not label or len(label) > TAG_LABEL_MAX:
        raise RefusedError(_l("Use 1 to %(max)d characters.", max=TAG_LABEL_MAX), field="label")
    taken = {str(v).casefold() for v in TAG_LABELS.values()}
    taken |= {t.label.casefold() for t in school_tags(session, school.id)}
    if label.casefold() in taken:
        raise RefusedError(_l("This label exists already."), field="label")
    tag = MomentTag(school_id=school.id, label=label)
    try:
        # Two admins (or a double click) adding the same label at once: the unique constraint
        # decides, and the second gets the same clear message.
        with session.begin_nested():
            session.add(tag)
            session.flush()
    except IntegrityError:
        raise RefusedError(_l("This label exists already."), field="label") from None
    audit.record(session, "moment_tag_added", actor=actor, obj=tag)
    return tag


def remove_school_tag(session: DbSession, tag: MomentTag, *, actor: User) -> None:
    """Remove a label of the school's own; moments that had it keep their note and time and
    show "label removed". Raises nothing of its own."""
    audit.record(session, "moment_tag_removed", actor=actor, obj=tag)
    session.delete(tag)
    session.flush()


# --- moments -----------------------------------------------------------------------------


def add_moment(session: DbSession, clip: Clip, data: MomentData, *, seat: Seat) -> Moment:
    """Mark a moment in ``clip`` (which ``seat`` may see) as ``seat``'s person.

    Raises RefusedError, naming the field, for a time outside the clip, an end not after the
    start, an unknown tag (another school's included) or a note that is too long; raises
    ForbiddenError when the actor may not give the moment ``data.audience``, and NotFoundError
    for a clip of another child than the seat's.
    """
    child, actor = seat.child, seat.user
    if clip.child_id != child.id:
        raise NotFoundError("clip_of_another_child")
    duration = clip.duration_s or 0.0
    if data.start_s < 0 or data.start_s > duration:
        raise RefusedError(
            _l("Choose a time within the clip (0:00 to %(end)s).", end=format_time(duration)),
            field="start",
        )
    if data.end_s is not None:
        if data.end_s <= data.start_s:
            raise RefusedError(_l("The end must come after the start."), field="end")
        if data.end_s > duration:
            raise RefusedError(
                _l("The clip ends at %(end)s.", end=format_time(duration)), field="end"
            )
    if len(data.text) > NOTE_MAX:
        raise RefusedError(_l("Use at most %(max)d characters.", max=NOTE_MAX), field="text")
    tag, custom_tag_id = _resolve_tag(session, child, data.tag)
    audience = audience_or_403(seat, uploader_id=actor.id, current=None, new=data.audience)
    moment = Moment(
        child_id=child.id,
        clip_id=clip.id,
        author_id=actor.id,
        start_s=round(data.start_s, 3),
        end_s=round(data.end_s, 3) if data.end_s is not None else None,
        tag=tag,
        custom_tag_id=custom_tag_id,
        text=data.text.strip(),
        audience=audience,
    )
    session.add(moment)
    session.flush()
    audit.record(
        session,
        "moment_added",
        actor=actor,
        child=child,
        obj=moment,
        data={"clip": clip.id, "audience": str(audience)},
    )
    return moment


def _resolve_tag(session: DbSession, child: Child, value: str) -> tuple[Tag | None, int | None]:
    if value in {t.value for t in Tag}:
        return Tag(value), None
    if value.startswith(OWN_TAG_PREFIX) and value[len(OWN_TAG_PREFIX) :].isdigit():
        tag_id = int(value[len(OWN_TAG_PREFIX) :])
        own = session.scalar(
            select(MomentTag.id).where(
                MomentTag.id == tag_id, MomentTag.school_id == child.school_id
            )
        )
        if own is not None:
            return None, own
    raise RefusedError(_l("Choose one of the tags in the list."), field="tag")


def moment_or_404(seat: Seat, clip: Clip, moment_id: int) -> Moment:
    """A moment of ``clip`` (a clip of ``seat``'s child) that ``seat`` may see.

    Raises NotFoundError for a missing id, a moment of another clip or child, and a moment
    outside the seat's audience alike.
    """
    moment = visible_or_404(Moment, seat, moment_id, uploader_attr="author_id")
    if moment.clip_id != clip.id:
        policy.log_denied("moment_of_another_clip", seat.child.id)
        raise NotFoundError("moment_of_another_clip")
    return moment


def may_delete(seat: Seat, moment: Moment | MomentLine) -> bool:
    """The author deletes their own moment; a coach (``Action.EDIT_CLIP``) any, of the seat's
    child."""
    if moment.child_id != seat.child.id:
        return False
    return seat.owns(moment.author_id) or seat.may(policy.Action.EDIT_CLIP)


def deletable_ids(seat: Seat, lines: Sequence[MomentLine]) -> set[int]:
    """The ids of the moments of ``lines`` that :func:`may_delete` lets ``seat`` delete, its
    role asked once for the list."""
    child_id, user_id = seat.child.id, seat.user.id
    if seat.may(policy.Action.EDIT_CLIP):
        return {m.id for m in lines if m.child_id == child_id}
    return {m.id for m in lines if m.child_id == child_id and m.author_id == user_id}


def delete_moment(session: DbSession, moment: Moment, *, seat: Seat) -> None:
    """Delete a moment as ``seat``'s person: their own, or any as a coach.

    Raises ForbiddenError for anyone else (see :func:`may_delete`).
    """
    child, actor = seat.child, seat.user
    if not may_delete(seat, moment):
        policy.log_denied("not_own_record", child.id)
        raise ForbiddenError("not_own_record")
    audit.record(
        session,
        "moment_deleted",
        actor=actor,
        child=child,
        obj=moment,
        data={"clip": moment.clip_id},
    )
    session.delete(moment)
    session.flush()


def moments_for(session: DbSession, seat: Seat, clip: Clip) -> list[Moment]:
    """The moments of ``clip`` that ``seat`` may see, in time order, authors and tags loaded
    with them (a fixed number of queries however many moments there are)."""
    params = {"child_id": seat.child.id, "user_id": seat.user.id, "clip_id": clip.id}
    return list(session.scalars(_moments_statement(seat.role), params))


class MomentLine(NamedTuple):
    """A moment as its clip's page lists it: its columns, its author's name and its school's
    own label, without loading the rows behind them."""

    id: int
    child_id: int
    author_id: int | None
    start_s: float
    end_s: float | None
    tag: Tag | None
    own_label: str | None  # the school's own tag, when it is one
    text: str
    author_name: str | None  # None once the author's account is gone
    audience: Audience


def moment_lines(session: DbSession, seat: Seat, clip: Clip) -> list[MomentLine]:
    """:func:`moments_for` as plain values for the clip's page: the same moments, in the same
    order. One query, its statement built once per role."""
    params = {"child_id": seat.child.id, "user_id": seat.user.id, "clip_id": clip.id}
    return [MomentLine(*row) for row in session.execute(_lines_statement(seat.role), params)]


@lru_cache(maxsize=8)
def _lines_statement(role: Role) -> Select[*tuple[Any, ...]]:
    # The moments' clause of :func:`_moments_statement`: the same moments, as columns.
    visible = cast(ColumnElement[bool], _moments_statement(role).whereclause)
    return (
        select(
            Moment.id,
            Moment.child_id,
            Moment.author_id,
            Moment.start_s,
            Moment.end_s,
            Moment.tag,
            MomentTag.label,
            Moment.text,
            User.name,
            Moment.audience,
        )
        .outerjoin(MomentTag, MomentTag.id == Moment.custom_tag_id)
        .outerjoin(User, User.id == Moment.author_id)
        .where(visible)
        .order_by(Moment.start_s, Moment.id)
    )


@lru_cache(maxsize=8)
def _moments_statement(role: Role) -> Select[Moment]:
    # ``queries.visible_moments`` built once per role, the seat's person and child and the
    # clip as bound parameters: every clip page asks it, and building it costs more than
    # running it.
    seen = queries.moments_seen(
        role, bindparam("child_id"), bindparam("user_id"), bindparam("clip_id")
    )
    return seen.options(joinedload(Moment.author), joinedload(Moment.custom_tag))


# --- exports -----------------------------------------------------------------------------

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def vtt_time(seconds: float) -> str:
    """``hh:mm:ss.mmm``, as WebVTT cue times are written."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def export_csv(moments: list[Moment]) -> str:
    """The moments as CSV: a header row, then tag, start, end, note and author per moment.

    Cells that a spreadsheet would run as a formula are neutralised with a leading quote.
    Starts with a byte order mark so that spreadsheet programs read it as UTF-8.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("Tag"), _("Start"), _("End"), _("Note"), _("Author")])
    for m in moments:
        writer.writerow(
            [
                _cell(tag_label(m)),
                vtt_time(m.start_s),
                vtt_time(m.end_s) if m.end_s is not None else "",
                _cell(m.text),
                _cell(m.author.name if m.author else _("former member")),
            ]
        )
    return "\ufeff" + out.getvalue()


def _cue_text(text: str) -> str:
    # A cue's text ends at a blank line, and "-->" would read as a timing line; &, < and > are
    # markup in WebVTT. Control characters have no business in a subtitle.
    text = "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "\n".join(lines)


def export_vtt(moments: list[Moment], duration: float | None) -> str:
    """The moments as WebVTT cues (``text/vtt``): each cue's text is the tag, then the note.

    A moment without an end lasts :data:`CUE_SECONDS` (never past the clip's end).
    """
    blocks = ["WEBVTT"]
    for number, m in enumerate(moments, start=1):
        end = m.end_s
        if end is None:
            end = m.start_s + CUE_SECONDS
            if duration and duration > m.start_s:
                end = min(end, duration)
        end = max(end, m.start_s + 0.001)
        text = _cue_text(f"{tag_label(m)}\n{m.text}")
        blocks.append(f"{number}\n{vtt_time(m.start_s)} --> {vtt_time(end)}\n{text}")
    return "\n\n".join(blocks) + "\n"


def record_export(session: DbSession, clip: Clip, kind: str, count: int, *, actor: User) -> None:
    """Write the audit event of an export of a clip's moments (rule 6: exports are logged)."""
    audit.record(
        session,
        "moments_exported",
        actor=actor,
        child=clip.child_id,
        obj=clip,
        data={"format": kind, "moments": count},
    )
