"""The child's timeline: meetings, agreements, summaries, consent and clips in one list,
newest first, each role seeing exactly what the features' own pages show it, in pages, at a
cost that does not grow with the data."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from app.children import timeline
from app.circle.audience import Audience
from app.circle.models import Child, User
from app.circle.policy import seat_for
from app.clips.models import Clip, Source
from app.clips.services import sharing
from app.consent.models import Purpose
from app.core.db import db, utcnow
from app.core.signin import SignInMethod
from app.core.signing import Evidence, OpenedForm, Signature, SignatureMethod, signed_fields
from app.meetings.models import Meeting, MeetingKind, MeetingState
from app.meetings.models_followup import Agreement, AgreementReview, AgreementStatus, Party
from app.meetings.models_summary import MeetingSummary, SummaryAcknowledgement
from app.meetings.services import planning
from tests.support.circle import pupil_of_sixteen
from tests.support.consent import sign_consent, withdraw
from tests.support.meetings import days_ahead, plan

# What each part of the world is called, so a page can be searched for it.
CIRCLE_CLIP = "Kring voor iedereen"
TEAM_CLIP = "Rekenles alleen team"
TEAM_FRAGMENT = "Fragment alleen team"
CIRCLE_FRAGMENT = "Fragment voor iedereen"
PRIVATE_HOME = "Thuis alleen ik"
SHARED_LATER = "Later gedeeld met iedereen"
WITH_PARENTS = "Afspraak met de ouders"
TEAM_ONLY = "Afspraak alleen het team"


@dataclass
class World:
    circle: Any
    with_parents: Meeting  # the parent is invited
    team_only: Meeting  # the parent is not
    shared_later: Clip


def _seat(user: User, child: Child) -> Any:
    seat = seat_for(db.session.get(User, user.id), db.session.get(Child, child.id))
    assert seat is not None
    return seat


def _past(meeting: Meeting, days: int) -> Meeting:
    """Move ``meeting`` ``days`` into the past (it has been held)."""
    meeting.starts_at = utcnow() - timedelta(days=days)
    meeting.ends_at = meeting.starts_at + timedelta(hours=1)
    db.session.commit()
    return meeting


def _agreement(meeting: Meeting, text: str, owner: User, by: User) -> Agreement:
    agreement = Agreement(
        child_id=meeting.child_id,
        meeting_id=meeting.id,
        text=text,
        party=Party.SCHOOL,
        owner_id=owner.id,
        due_on=days_ahead(14),
        created_by_id=by.id,
    )
    db.session.add(agreement)
    db.session.commit()
    return agreement


def _finalise(meeting: Meeting, by: User) -> MeetingSummary:
    summary = MeetingSummary(
        meeting_id=meeting.id,
        child_id=meeting.child_id,
        number=1,
        seen="Gezien",
        need="Nodig",
        created_by_id=by.id,
    )
    meeting.state = MeetingState.FINALISED
    db.session.add(summary)
    db.session.commit()
    return summary


def _acknowledge(summary: MeetingSummary, signer: User) -> SummaryAcknowledgement:
    record = SummaryAcknowledgement(
        summary_id=summary.id,
        meeting_id=summary.meeting_id,
        child_id=summary.child_id,
        summary_sha256="0" * 64,
        **signed_fields(
            signer,
            shown="summary",
            typed_name=signer.name,
            signature=Signature(SignatureMethod.TYPED),
            opened=OpenedForm(utcnow() - timedelta(minutes=1), secrets.token_hex(8), {}),
            evidence=Evidence("192.0.2.1", "pytest", SignInMethod.PASSWORD),
        ),
    )
    db.session.add(record)
    db.session.commit()
    return record


@pytest.fixture
def world(app, circle, make_clip) -> World:
    """Both parents signed, the second withdrew one purpose; clips for every audience, a
    home recording the parent keeps private, a team clip the coach later shared with the
    circle; a meeting with the parents and one without, an agreement made in each, the first
    finalised and acknowledged by the second parent."""
    c = circle
    sign_consent(app, c.child, c.parent)
    sign_consent(app, c.child, c.parent2)
    withdraw(app, c.child, c.parent2, [Purpose.PEER_REVIEW])
    shown = make_clip(c.child, c.coach, audience=Audience.CIRCLE, title=CIRCLE_CLIP)
    make_clip(c.child, c.teacher, audience=Audience.TEAM, title=TEAM_CLIP)
    make_clip(
        c.child, c.coach, audience=Audience.TEAM, title=TEAM_FRAGMENT, parent=shown, start_s=1.0
    )
    make_clip(
        c.child,
        c.coach,
        audience=Audience.CIRCLE,
        title=CIRCLE_FRAGMENT,
        parent=shown,
        start_s=2.0,
    )
    make_clip(c.child, c.parent, audience=Audience.PRIVATE, title=PRIVATE_HOME, source=Source.HOME)
    later = make_clip(c.child, c.teacher, audience=Audience.TEAM, title=SHARED_LATER)
    _share(app, later, Audience.CIRCLE, c.coach)
    with_parents = _past(plan(app, c.child, c.coach, [c.teacher, c.parent, c.parent2]), 10)
    team_only = _past(plan(app, c.child, c.coach, [c.teacher]), 5)
    agreed = _agreement(with_parents, WITH_PARENTS, c.parent, c.coach)
    _agreement(team_only, TEAM_ONLY, c.teacher, c.coach)
    _acknowledge(_finalise(with_parents, c.coach), c.parent2)
    _review(agreed, team_only, c.coach)
    _cancel(app, plan(app, c.child, c.coach, [c.parent], kind=MeetingKind.EVALUATION), c.coach)
    return World(c, with_parents, team_only, later)


def _review(agreement: Agreement, meeting: Meeting, by: User) -> None:
    """``meeting`` (a later one) reviews ``agreement``: partly done."""
    agreement.status = AgreementStatus.PARTLY
    db.session.add(
        AgreementReview(
            agreement_id=agreement.id,
            meeting_id=meeting.id,
            child_id=meeting.child_id,
            status=AgreementStatus.PARTLY,
            reviewed_by_id=by.id,
        )
    )
    db.session.commit()


def _cancel(app, meeting: Meeting, coach: User) -> None:
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        seat = _seat(coach, db.session.get(Child, meeting.child_id))
        found = db.session.get(Meeting, meeting.id)
        planning.cancel_meeting(db.session, seat, found, version=found.version)
        db.session.commit()


def _share(app, clip: Clip, audience: Audience, coach: User) -> None:
    with app.test_request_context():
        seat = _seat(coach, db.session.get(Child, clip.child_id))
        sharing.set_clip_audience(db.session, db.session.get(Clip, clip.id), audience, seat=seat)
        db.session.commit()


def page_text(client, child: Child, page: int = 1, lang: str = "en") -> str:
    response = client.get(f"/children/{child.id}/timeline?page={page}&lang={lang}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def entries(html: str) -> list[str]:
    """Each entry of the page as plain text, in the page's order."""
    found = re.findall(r'<li class="timeline-entry">(.*?)</li>', html, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", entry).split()) for entry in found]


def seen_by(app, login_as, user: User, child: Child) -> str:
    client = app.test_client()
    login_as(user, on=client)
    return " | ".join(entries(page_text(client, child)))


def test_the_coach_sees_everything_that_happened(app, login_as, world):
    c = world.circle
    seen = seen_by(app, login_as, c.coach, c.child)
    for title in (CIRCLE_CLIP, TEAM_CLIP, TEAM_FRAGMENT, CIRCLE_FRAGMENT, PRIVATE_HOME):
        assert title in seen
    assert WITH_PARENTS in seen and TEAM_ONLY in seen
    assert seen.count("Shared review planned") == 2
    assert seen.count("Shared review held") == 2
    assert "Evaluation planned" in seen and "Evaluation cancelled" in seen
    assert f"Agreement reviewed: partly done {WITH_PARENTS}" in seen
    assert "Summary issued: shared review" in seen
    assert "Summary acknowledged: shared review by Ouder Paul" in seen
    # Every signer's consent records, the withdrawal with the purpose it withdrew.
    assert "Consent form signed" in seen and "by Ouder Petra" in seen
    assert "Consent withdrawn Showing in peer review by Ouder Paul" in seen
    assert f"Who sees a clip changed Now seen by: Everyone in the circle {SHARED_LATER}" in seen


def test_a_parent_sees_only_what_the_features_show_a_parent(app, login_as, world):
    c = world.circle
    seen = seen_by(app, login_as, c.parent, c.child)
    # Clips: the circle's, and their own private home recording; never the team's.
    for title in (CIRCLE_CLIP, CIRCLE_FRAGMENT, PRIVATE_HOME, SHARED_LATER):
        assert title in seen
    assert TEAM_CLIP not in seen
    assert TEAM_FRAGMENT not in seen
    # Meetings: the one they were invited to, and its agreement; not the team's meeting.
    assert seen.count("Shared review planned") == 1
    assert seen.count("Shared review held") == 1
    assert "Evaluation cancelled" in seen
    assert WITH_PARENTS in seen
    assert TEAM_ONLY not in seen
    # Their agreement, reviewed in a meeting they were not at: as its own page shows it.
    assert f"Agreement reviewed: partly done {WITH_PARENTS}" in seen
    # Their own consent record and no one else's, as on the consent page; the other
    # parent's acknowledgement is not theirs to see either.
    assert seen.count("Consent form signed") == 1
    assert "Consent withdrawn" not in seen
    assert "Ouder Paul" not in seen
    assert "acknowledged" not in seen


def test_a_teacher_sees_the_team_side_but_not_a_parent_s_private_recording(app, login_as, world):
    c = world.circle
    for member in (c.teacher, c.specialist):
        seen = seen_by(app, login_as, member, c.child)
        assert TEAM_CLIP in seen and TEAM_FRAGMENT in seen and CIRCLE_CLIP in seen
        assert PRIVATE_HOME not in seen
        assert WITH_PARENTS in seen and TEAM_ONLY in seen
        # The consent page shows the school side the status, not the signed records.
        assert "Consent form signed" not in seen
        assert "Consent withdrawn" not in seen


def test_a_change_of_audience_shows_only_to_those_who_see_the_clip(app, login_as, world):
    c = world.circle
    private = "Alleen voor de coach"
    clip = next(
        iter(
            db.session.scalars(
                select(Clip).where(Clip.child_id == c.child.id, Clip.title == TEAM_CLIP)
            )
        )
    )
    clip.title = private
    db.session.commit()
    _share(app, clip, Audience.PRIVATE, c.coach)
    assert f"Now seen by: Only me and the coaches {private}" in seen_by(
        app, login_as, c.coach, c.child
    )
    # The teacher uploaded it, so still sees it; the parents never did.
    assert private in seen_by(app, login_as, c.teacher, c.child)
    parent_sees = seen_by(app, login_as, c.parent, c.child)
    assert private not in parent_sees
    assert parent_sees.count("Who sees a clip changed") == 1


def test_a_pupil_sees_their_own_consent_and_the_meetings_they_are_invited_to(
    app, login_as, world, make_user
):
    c = world.circle
    pupil = pupil_of_sixteen(c.child, make_user)
    sign_consent(app, c.child, pupil)
    plan(app, c.child, c.coach, [pupil], place="Met Sem zelf")
    seen = seen_by(app, login_as, pupil, c.child)
    assert seen.count("Consent form signed") == 1 and "by Sem zelf" in seen
    assert "Ouder Petra" not in seen and "Ouder Paul" not in seen
    assert seen.count("Shared review planned") == 1
    assert WITH_PARENTS not in seen and TEAM_ONLY not in seen
    assert CIRCLE_CLIP in seen and TEAM_FRAGMENT not in seen


def test_entries_link_to_their_pages_and_the_child_page_links_here(app, client, login_as, world):
    c = world.circle
    login_as(c.parent)
    html = page_text(client, c.child)
    base = f"/children/{c.child.id}"
    assert f'href="{base}/meetings/{world.with_parents.id}"' in html
    assert f'href="{base}/meetings/{world.with_parents.id}/summary"' in html
    assert f'href="{base}/clips/{world.shared_later.id}"' in html
    assert f'href="{base}/consent"' in html
    assert f'href="{base}/meetings/{world.team_only.id}"' not in html
    for link in set(re.findall(r'class="timeline-link" href="([^"]+)"', html)):
        assert client.get(link).status_code == 200, link
    child_page = client.get(f"{base}?lang=en").get_data(as_text=True)
    assert f'href="{base}/timeline"' in child_page


def test_newest_first_grouped_by_day_with_a_stable_order_at_one_instant(
    app, client, login_as, circle, make_clip
):
    now = utcnow()
    sign_consent(app, circle.child, circle.parent)
    for days, title in ((3, "Drie dagen"), (1, "Gisteren"), (2, "Eergisteren")):
        make_clip(circle.child, circle.coach, title=title, created_at=now - timedelta(days=days))
    same = [
        make_clip(circle.child, circle.coach, title=f"Tegelijk {n}", created_at=now)
        for n in range(3)
    ]
    login_as(circle.coach)
    html = page_text(client, circle.child)
    uploads = [e for e in entries(html) if "School recording uploaded" in e]
    titles = [e.split("uploaded ")[1].split(" by")[0] for e in uploads]
    # The same instant: the newest row first, the same on every request.
    assert titles == ["Tegelijk 2", "Tegelijk 1", "Tegelijk 0", "Gisteren", "Eergisteren"] + [
        "Drie dagen"
    ]
    assert entries(page_text(client, circle.child)) == entries(html)
    assert len(re.findall(r'<h2 class="timeline-date"', html)) == 4  # today, and 3 days back
    assert same[0].id < same[2].id


def test_paged_without_gaps_or_repeats(app, client, login_as, circle, make_clip):
    now = utcnow()
    total = timeline.PER_PAGE + 4
    for n in range(total):
        make_clip(
            circle.child, circle.coach, title=f"Opname {n:02d}", created_at=now - timedelta(hours=n)
        )
    sign_consent(app, circle.child, circle.parent)  # after them all: the first entry
    login_as(circle.coach)
    first = entries(page_text(client, circle.child, 1))
    second = entries(page_text(client, circle.child, 2))
    assert len(first) == timeline.PER_PAGE and len(second) == 5
    assert "Consent form signed" in first[0]
    titles = [re.search(r"Opname \d\d", e).group(0) for e in first[1:] + second]
    assert titles == [f"Opname {n:02d}" for n in range(total)]
    html = page_text(client, circle.child, 1)
    assert "Page 1 of 2" in html and "?page=2" in html
    # A page past the end is the last page, never an error.
    assert entries(page_text(client, circle.child, 9)) == second


def test_nothing_to_see_says_so_in_dutch(client, login_as, circle):
    login_as(circle.parent)
    html = page_text(client, circle.child, lang="nl")
    assert "Tijdlijn" in html
    assert "Er is nog niets gebeurd dat jij kunt zien." in html


def _count_selects(client, child: Child) -> int:
    seen: list[str] = []

    def count(conn, cursor, statement, *args):  # noqa: ANN001
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        page_text(client, child)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


@pytest.mark.parametrize("role", ["coach", "parent"])
def test_the_page_asks_as_many_queries_however_much_happened(
    app, client, login_as, world, make_clip, role
):
    c = world.circle
    login_as(getattr(c, role))
    few = _count_selects(client, c.child)
    for n in range(6):
        clip = make_clip(c.child, c.teacher, audience=Audience.TEAM, title=f"Meer {n}")
        _share(app, clip, Audience.CIRCLE, c.coach)
        make_clip(c.child, c.coach, audience=Audience.CIRCLE, parent=clip, start_s=1.0)
        meeting = _past(plan(app, c.child, c.coach, [c.teacher, c.parent]), 20 + n)
        made = _agreement(meeting, f"Afspraak {n}", c.parent, c.coach)
        db.session.add(
            AgreementReview(
                agreement_id=made.id,
                meeting_id=world.with_parents.id,
                child_id=c.child.id,
                status=AgreementStatus.DONE,
                reviewed_by_id=c.coach.id,
            )
        )
        db.session.commit()
        sign_consent(app, c.child, c.parent)
    assert _count_selects(client, c.child) == few
