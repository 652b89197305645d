"""How long footage is kept, and the purge that destroys it (DESIGN.md rules 3 and 4).

**The destroy-after date** of a clip follows from its child's trajectory and consent:

- While the trajectory is open (``Child.ended_on`` empty) a clip has none.
- Once it has an end date: that date plus the retention term when keeping footage after the
  trajectory (the RETENTION purpose) is granted, else the end date itself. The term is the
  ``retention_months`` of the consent text the granting signers signed (the shortest, when
  they signed different versions). The default text promises exactly this: "kept for at most
  {months} months after the trajectory ends … If you say no, we destroy the recordings as soon
  as the trajectory ends"; it names no other grace, so none is added. A month added to the
  31st lands on the last day of a shorter month (29 February in a leap year).
- **Withdrawal schedules destruction.** When the purpose that covers a clip's source (filming
  at school, or recordings from home) now reads *withdrawn* or *refused* — the people who
  decide took back the yes under which the clip was recorded, by a withdrawal or by signing
  again with a no — the clip is due today, reason withdrawal (the consent text: "from that
  moment … we destroy them"). A *disagreement* between guardians (the purpose is on hold until
  they agree) and *silence* (nobody answered, such as a pupil who just turned 16) make the
  clip unplayable through the gate but do not destroy it: nobody said no to it. Withdrawing
  team viewing destroys nothing (the coach still works with the clip); withdrawing retention
  shortens the term to the end date. Consent never calls into clips: the purge asks consent.

A clip is **expired** from the start of its destroy-after day on the school's calendar
(``clock.local_date``). The date is computed when a clip is created (:func:`schedule`) and
again by every purge, so a changed end date or consent takes effect at the next purge.

**The purge** (:func:`purge`; ``flask purge`` and a daily job) destroys every expired clip:
its web version, poster and any original left, its moments and its row, fragments before
their recording, and keeps a :class:`ClipTombstone` (what existed, when it went, why) and an
audit event ``clip_destroyed`` each, then ``purge_run``. A clip the worker is converting
right now (and its recording) waits for the next run. A run that finds nothing to change
writes nothing at all, so a second run changes nothing.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import date

from huey import crontab
from sqlalchemy import delete, select

from app.circle.models import Child, User
from app.clips.models import Clip, ClipState, ClipTombstone, DestroyReason, Moment, Source
from app.clips.services.gate import PURPOSE_OF
from app.consent import services as consent
from app.core import audit, storage
from app.core.clock import local_date
from app.core.db import DbSession, db, utcnow
from app.core.jobs import periodic_job

log = logging.getLogger("beeldbrug.retention")

#: consent.Purpose states in which the yes that covered a clip was taken back.
TAKEN_BACK = frozenset({consent.PurposeState.WITHDRAWN, consent.PurposeState.REFUSED})


@dataclass(frozen=True)
class Expiry:
    """When the footage of one source of one child is due, and why (``on`` None: not yet)."""

    on: date | None
    reason: DestroyReason


@dataclass(frozen=True)
class PurgeReport:
    destroyed: int  # clips destroyed (fragments included)
    rescheduled: int  # clips whose destroy-after date changed


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months; a day past the end of the month lands on its
    last day (31 January + 1 month is 28 or 29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def expiries(session: DbSession, child: Child, today: date | None = None) -> dict[Source, Expiry]:
    """When the footage of ``child`` from each source is due, by the rules above.

    Raises nothing beyond database errors.
    """
    today = today or local_date()
    status = consent.status(session, child)
    retention_end: date | None = None
    if child.ended_on is not None:
        retention_end = child.ended_on
        term = consent.retention_months(session, status)
        if term is not None:
            retention_end = add_months(child.ended_on, term)
    result: dict[Source, Expiry] = {}
    for source in Source:
        withdrawn = status.purposes[PURPOSE_OF[source]].state in TAKEN_BACK
        if withdrawn and (retention_end is None or today < retention_end):
            result[source] = Expiry(today, DestroyReason.WITHDRAWAL)
        else:
            result[source] = Expiry(retention_end, DestroyReason.RETENTION)
    return result


def schedule(session: DbSession, clip: Clip) -> date | None:
    """Give ``clip`` its destroy-after date now (call it when a clip is created).

    Returns the date (None while the trajectory is open). Raises nothing beyond database
    errors; the caller commits.
    """
    clip.destroy_after = expiries(session, clip.child)[Source(clip.source)].on
    return clip.destroy_after


def purge(session: DbSession, today: date | None = None) -> PurgeReport:
    """Recompute every clip's destroy-after date and destroy the clips that expired.

    Files are deleted before the caller commits the rows' removal: should the commit fail, the
    rows stay, still expired, and the next run finishes the job (a row whose file is gone
    answers 404); the other order could leave footage that no row points to any more. Raises
    OSError when a file cannot be deleted (nothing of that clip's row is changed then), and
    database errors; the caller commits.
    """
    today = today or local_date()
    destroyed = rescheduled = 0
    child_ids = select(Clip.child_id).distinct()
    for child in session.scalars(select(Child).where(Child.id.in_(child_ids)).order_by(Child.id)):
        due = expiries(session, child, today)
        clips = list(session.scalars(select(Clip).where(Clip.child_id == child.id)))
        expired: list[tuple[Clip, DestroyReason]] = []
        for clip in clips:
            expiry = due[Source(clip.source)]
            if clip.destroy_after != expiry.on:
                clip.destroy_after = expiry.on
                rescheduled += 1
            if expiry.on is not None and expiry.on <= today:
                expired.append((clip, expiry.reason))
        # A clip the worker is converting waits for the next run (access is already refused
        # by the gate): destroyed now, the worker would write its files for a row that is gone.
        # Its recording waits with it, or the recording's row would take it along untracked.
        busy = {clip.id for clip, _ in expired if clip.state is ClipState.PROCESSING}
        busy |= {clip.parent_id for clip, _ in expired if clip.id in busy and clip.parent_id}
        # Fragments first: a recording's row takes its fragments with it.
        for clip, reason in sorted(expired, key=lambda pair: pair[0].parent_id is None):
            if clip.id in busy:
                log.info("clip %s is being converted; destroyed at the next purge", clip.id)
                continue
            destroy(session, clip, reason)
            destroyed += 1
    if destroyed or rescheduled:
        audit.record(
            session,
            "purge_run",
            data={"on": today.isoformat(), "destroyed": destroyed, "rescheduled": rescheduled},
        )
    log.info("purge on %s: %s destroyed, %s rescheduled", today, destroyed, rescheduled)
    return PurgeReport(destroyed, rescheduled)


def destroy(
    session: DbSession, clip: Clip, reason: DestroyReason, *, actor: User | None = None
) -> ClipTombstone:
    """Destroy ``clip``: its files, its moments and its row; keep a tombstone and audit it.

    A recording's fragments must be destroyed first (the purge does). Raises OSError when a
    file cannot be deleted, InvalidKeyError for a key storage never handed out; the caller
    commits.
    """
    for key in (clip.web_key, clip.poster_key, clip.original_key):
        if key:
            storage.delete(key)
    tombstone = ClipTombstone(
        child_id=clip.child_id,
        clip_id=clip.id,
        source=clip.source,
        was_fragment=clip.is_fragment,
        recorded_on=clip.recorded_on,
        uploaded_at=clip.created_at,
        duration_s=clip.duration_s,
        destroyed_at=utcnow(),
        reason=reason,
    )
    session.add(tombstone)
    session.execute(delete(Moment).where(Moment.clip_id == clip.id))
    audit.record(
        session,
        "clip_destroyed",
        actor=actor,
        child=clip.child_id,
        obj=clip,
        data={"reason": reason.value, "fragment": clip.is_fragment},
    )
    session.delete(clip)
    session.flush()
    return tombstone


# 03:15 UTC is after midnight in Amsterdam, summer and winter: a new day on the school's calendar.
@periodic_job(crontab(hour="3", minute="15"))
def daily_purge() -> int:
    """Every day: destroy the footage whose retention ended or whose consent was withdrawn
    (:func:`purge`); returns how many clips were destroyed."""
    report = purge(db.session)
    db.session.commit()
    return report.destroyed
