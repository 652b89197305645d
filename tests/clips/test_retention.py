"""Retention: every clip's destroy-after date, and the purge that destroys what expired
(issue 7 item 10; DESIGN.md rules 3 and 4; SECURITY.md check 35). Dates are on the school's
calendar and every rule is proven at fixed instants, never today's."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from app.circle.audience import Audience
from app.circle.models import Child, Membership
from app.clips.models import Clip, ClipState, ClipTombstone, DestroyReason, Moment, Source, Tag
from app.clips.services import retention
from app.consent.models import Answer, ConsentTemplate, Purpose
from app.core import storage
from app.core.audit import AuditEvent, verify
from app.core.db import db
from tests.support.consent import ALL_YES, sign_consent, withdraw

AMS = ZoneInfo("Europe/Amsterdam")


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """An instant on the school's calendar."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=AMS)


def signed_early(circle) -> time_machine.travel:
    """Consent signed at the start of the school year (or now, if that is earlier), by parents
    in the circle since then: before every instant these tests travel to, whatever date the
    suite runs on."""
    early = min(datetime.now(AMS), at(date(2026, 9, 7)))
    for membership in db.session.scalars(
        select(Membership).where(Membership.child_id == circle.child.id)
    ):
        membership.active_from = early - timedelta(days=7)
    db.session.commit()
    return time_machine.travel(early, tick=False)


def end_trajectory(child: Child, on: date) -> None:
    db.session.get(Child, child.id).ended_on = on
    db.session.commit()


def counts() -> tuple[int, int, int, int]:
    return (
        db.session.scalar(select(func.count(Clip.id))),
        db.session.scalar(select(func.count(Moment.id))),
        db.session.scalar(select(func.count(ClipTombstone.id))),
        db.session.scalar(select(func.count(AuditEvent.id))),
    )


def files_of(clip: Clip) -> list:
    return [storage.path_of(k) for k in (clip.web_key, clip.poster_key) if k]


@pytest.fixture
def kept_three_months(app, circle):
    """Both parents said yes to everything, retention included: the default term of the text."""
    with signed_early(circle):
        record = sign_consent(app, circle.child, circle.parent)
        sign_consent(app, circle.child, circle.parent2)
    circle.months = db.session.get(ConsentTemplate, record.template_id).retention_months
    return circle


@pytest.fixture
def not_kept(app, circle):
    """The parent said yes to filming but no to keeping footage after the trajectory."""
    with signed_early(circle):
        sign_consent(
            app, circle.child, circle.parent, answers={**ALL_YES, Purpose.RETENTION: Answer.NO}
        )
    return circle


# --- the date ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2027, 11, 30), 3, date(2028, 2, 29)),  # into a leap February
        (date(2028, 2, 29), 12, date(2029, 2, 28)),  # from 29 February to a common year
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2027, 10, 15), 3, date(2028, 1, 15)),  # over New Year
        (date(2027, 6, 1), 0, date(2027, 6, 1)),
    ],
)
def test_months_are_added_on_the_calendar(day, months, expected):
    assert retention.add_months(day, months) == expected


def test_an_open_trajectory_gives_no_date_yet(kept_three_months, make_clip, app_ctx):
    clip = make_clip(kept_three_months.child, kept_three_months.coach)
    assert retention.schedule(db.session, clip) is None


def test_kept_after_the_trajectory_for_the_term_the_parents_signed_for(
    kept_three_months, make_clip, app_ctx
):
    end_trajectory(kept_three_months.child, date(2027, 11, 30))
    clip = make_clip(kept_three_months.child, kept_three_months.coach)
    with time_machine.travel(at(date(2027, 6, 1)), tick=False):
        expected = retention.add_months(date(2027, 11, 30), kept_three_months.months)
        assert retention.schedule(db.session, clip) == expected


def test_without_consent_to_keep_footage_it_goes_when_the_trajectory_ends(
    not_kept, make_clip, app_ctx
):
    end_trajectory(not_kept.child, date(2028, 2, 29))
    clip = make_clip(not_kept.child, not_kept.coach)
    with time_machine.travel(at(date(2027, 6, 1)), tick=False):
        assert retention.schedule(db.session, clip) == date(2028, 2, 29)


# --- the purge -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ended_on", "now", "destroyed"),
    [
        (date(2028, 2, 29), at(date(2028, 2, 28), 23, 59), False),  # the day before
        (date(2028, 2, 29), at(date(2028, 2, 29), 0, 1), True),  # the day itself: 29 February
        (date(2028, 1, 1), at(date(2027, 12, 31), 23, 30), False),  # New Year's Eve, 23:30
        # Half past midnight in Amsterdam: in UTC still the old year, on the school's calendar
        # the new one.
        (date(2028, 1, 1), at(date(2028, 1, 1), 0, 30), True),
        (date(2027, 12, 31), at(date(2027, 12, 31), 23, 30), True),
    ],
)
def test_only_what_expired_is_destroyed(not_kept, make_clip, app_ctx, ended_on, now, destroyed):
    end_trajectory(not_kept.child, ended_on)
    clip = make_clip(not_kept.child, not_kept.coach)
    clip_id, paths = clip.id, files_of(clip)
    with time_machine.travel(now, tick=False):
        report = retention.purge(db.session)
        db.session.commit()
    assert report.destroyed == (1 if destroyed else 0)
    assert (db.session.get(Clip, clip_id) is None) is destroyed
    assert all(not p.exists() for p in paths) is destroyed
    if not destroyed:
        assert db.session.get(Clip, clip_id).destroy_after == ended_on


def test_the_purge_destroys_media_moments_and_fragments_keeps_tombstones_and_logs(
    kept_three_months, make_clip, app_ctx
):
    circle = kept_three_months
    end_trajectory(circle.child, date(2027, 11, 30))
    recording = make_clip(circle.child, circle.teacher)
    fragment = make_clip(circle.child, circle.coach, parent=recording, start_s=1.0, end_s=4.0)
    db.session.add(
        Moment(
            child_id=circle.child.id,
            clip_id=fragment.id,
            author_id=circle.coach.id,
            start_s=2.0,
            tag=Tag.SUCCESS,
            text="Hij kijkt op en lacht",
            audience=Audience.TEAM,
        )
    )
    db.session.commit()
    ids = {recording.id: False, fragment.id: True}
    paths = files_of(recording) + files_of(fragment)
    assert all(p.exists() for p in paths)
    due = retention.add_months(date(2027, 11, 30), circle.months)

    with time_machine.travel(at(due, 4, 0), tick=False):
        report = retention.purge(db.session)
        db.session.commit()

    assert report.destroyed == 2
    assert db.session.scalars(select(Clip).where(Clip.id.in_(ids))).all() == []
    assert db.session.scalar(select(func.count(Moment.id))) == 0
    assert not any(p.exists() for p in paths)
    tombstones = db.session.scalars(select(ClipTombstone)).all()
    assert {t.clip_id: t.was_fragment for t in tombstones} == ids
    for tombstone in tombstones:
        assert tombstone.reason is DestroyReason.RETENTION
        assert tombstone.child_id == circle.child.id and tombstone.source is Source.SCHOOL
        assert tombstone.destroyed_at == at(due, 4, 0)
    recording_stone = next(t for t in tombstones if not t.was_fragment)
    assert recording_stone.recorded_on == recording.recorded_on
    assert recording_stone.duration_s == recording.duration_s
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.in_(["clip_destroyed", "purge_run"]))
    ).all()
    assert sorted((e.action, e.object_id) for e in events) == sorted(
        [("clip_destroyed", recording.id), ("clip_destroyed", fragment.id), ("purge_run", None)]
    )
    assert events[-1].payload()["destroyed"] == 2
    assert verify(db.session).ok


def test_a_second_run_changes_nothing(not_kept, make_clip, make_child, app_ctx):
    end_trajectory(not_kept.child, date(2027, 12, 31))
    make_clip(not_kept.child, not_kept.coach)
    open_child = make_child("Nog bezig", coach=not_kept.coach)
    kept = make_clip(open_child, not_kept.coach)
    with time_machine.travel(at(date(2028, 1, 2)), tick=False):
        first = retention.purge(db.session)
        db.session.commit()
        after_first = counts()
        second = retention.purge(db.session)
        db.session.commit()
    assert first.destroyed == 1
    assert second == retention.PurgeReport(destroyed=0, rescheduled=0)
    assert counts() == after_first  # no clip, moment, tombstone or audit event more or less
    assert all(p.exists() for p in files_of(kept))


def test_a_changed_end_date_is_picked_up_by_the_next_purge(not_kept, make_clip, app_ctx):
    clip = make_clip(not_kept.child, not_kept.coach)
    with time_machine.travel(at(date(2027, 6, 1)), tick=False):
        assert retention.purge(db.session).rescheduled == 0
        end_trajectory(not_kept.child, date(2027, 7, 1))
        assert retention.purge(db.session) == retention.PurgeReport(destroyed=0, rescheduled=1)
        db.session.commit()
    assert db.session.get(Clip, clip.id).destroy_after == date(2027, 7, 1)


# --- withdrawal schedules destruction ------------------------------------------------------


def test_a_withdrawal_has_the_clips_it_covered_destroyed_at_the_next_purge(
    kept_three_months, make_clip, app, app_ctx
):
    circle = kept_three_months
    school = make_clip(circle.child, circle.teacher)
    home = make_clip(circle.child, circle.parent, source=Source.HOME)
    withdraw(app, circle.child, circle.parent2, [Purpose.SCHOOL_RECORDING])
    report = retention.purge(db.session)
    db.session.commit()
    assert report.destroyed == 1
    assert db.session.get(Clip, school.id) is None
    assert db.session.get(Clip, home.id) is not None  # home recordings are still granted
    stone = db.session.scalar(select(ClipTombstone).where(ClipTombstone.clip_id == school.id))
    assert stone.reason is DestroyReason.WITHDRAWAL


def test_withdrawing_team_viewing_destroys_nothing(kept_three_months, make_clip, app, app_ctx):
    circle = kept_three_months
    clip = make_clip(circle.child, circle.teacher)
    withdraw(app, circle.child, circle.parent, [Purpose.TEAM_VIEWING])
    assert retention.purge(db.session).destroyed == 0
    assert db.session.get(Clip, clip.id) is not None


def test_a_disagreement_or_silence_freezes_but_does_not_destroy(circle, make_clip, app, app_ctx):
    silent = make_clip(circle.child, circle.coach)  # nobody answered: nobody said no either
    assert retention.purge(db.session).destroyed == 0
    sign_consent(app, circle.child, circle.parent)
    sign_consent(
        app, circle.child, circle.parent2, answers={**ALL_YES, Purpose.SCHOOL_RECORDING: Answer.NO}
    )
    assert retention.purge(db.session).destroyed == 0
    assert db.session.get(Clip, silent.id) is not None


# --- the command and the daily job ---------------------------------------------------------


def test_flask_purge_destroys_and_reports(not_kept, make_clip, runner, app_ctx):
    end_trajectory(not_kept.child, date(2027, 12, 31))
    clip = make_clip(not_kept.child, not_kept.coach)
    with time_machine.travel(at(date(2028, 1, 5)), tick=False):
        result = runner.invoke(args=["purge"])
        assert result.exit_code == 0, result.output
        assert "1 clips destroyed" in result.output
        again = runner.invoke(args=["purge"])
    assert "0 clips destroyed, 0 rescheduled" in again.output
    assert db.session.get(Clip, clip.id) is None
    assert "tombstone" in runner.invoke(args=["purge", "--help"]).output


def test_the_daily_job_runs_the_purge(not_kept, make_clip, app_ctx):
    end_trajectory(not_kept.child, date(2027, 12, 31))
    clip = make_clip(not_kept.child, not_kept.coach)
    with time_machine.travel(at(date(2028, 1, 5)), tick=False):
        retention.daily_purge()
    assert db.session.get(Clip, clip.id) is None
    assert db.session.scalar(select(ClipTombstone).where(ClipTombstone.clip_id == clip.id))


def test_a_clip_being_converted_waits_for_the_next_purge(not_kept, make_clip, app_ctx):
    end_trajectory(not_kept.child, date(2027, 12, 31))
    recording = make_clip(not_kept.child, not_kept.coach)
    fragment = make_clip(
        not_kept.child, not_kept.coach, parent=recording, state=ClipState.PROCESSING
    )
    with time_machine.travel(at(date(2028, 1, 5)), tick=False):
        assert retention.purge(db.session).destroyed == 0
        db.session.commit()
        assert db.session.get(Clip, recording.id) is not None
        db.session.get(Clip, fragment.id).state = ClipState.READY  # the worker finished
        db.session.commit()
        assert retention.purge(db.session).destroyed == 2
        db.session.commit()
    assert db.session.scalar(select(func.count(ClipTombstone.id))) == 2
