"""The demo school that `make run` loads: complete, believable, and loaded only once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import demo
from app.circle import policy
from app.circle.audience import Audience
from app.circle.models import Child, Membership, Role, User
from app.clips.models import Clip, ClipState, Moment, Source, Tag
from app.clips.services import queries
from app.consent import services as consent
from app.consent.models import Answer, ConsentRecord, Purpose
from app.core import audit, storage
from app.core.clock import display_zone, local_date
from app.core.db import Base, db
from app.demo import PEOPLE, describe_accounts, sign_as
from app.documents.models import Document
from app.meetings.models import Meeting, MeetingKind, MeetingState
from app.meetings.models_followup import AgreementStatus, Party
from app.meetings.services import acknowledgement, agenda, agreements
from app.meetings.services import summary as summaries


def counts() -> dict[str, int]:
    return {
        t.name: db.session.scalar(select(func.count()).select_from(t))
        for t in Base.metadata.sorted_tables
    }


@pytest.fixture
def without_footage(monkeypatch):
    """For the tests about the accounts: making and converting the videos takes seconds, and
    the footage has its own test below."""
    monkeypatch.setattr(demo, "_ensure_footage", lambda session: None)


def test_demo_data_loads_once_with_every_role_and_a_signed_consent(app, runner):
    first = runner.invoke(args=["demo-data"])
    assert first.exit_code == 0, first.output
    assert "coach@regenboog.example" in first.output and "samen-kijken-2026" in first.output
    after_first = counts()
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    assert counts() == after_first

    children = db.session.scalars(select(Child).order_by(Child.name)).all()
    assert [c.name for c in children] == ["Elif Yılmaz", "Noah Bakker"]
    assert all(c.guiding_question for c in children)
    roles = set(db.session.scalars(select(Membership.role)))
    assert {Role.COACH, Role.TEACHER, Role.PARENT} <= roles

    noah = children[1]
    with app.app_context():
        assert consent.published_template(db.session, noah.school_id) is not None
        assert consent.allows(db.session.get(Child, noah.id), Purpose.SCHOOL_RECORDING)
        assert not consent.allows(db.session.get(Child, noah.id), Purpose.PEER_REVIEW)
    record = db.session.scalar(select(ConsentRecord))
    assert db.session.scalar(select(Document).where(Document.subject_id == record.id)) is not None
    assert audit.verify(db.session).ok
    check_footage(app, noah, children[0])


def check_footage(app, noah: Child, elif_: Child) -> None:
    """Noah's synthetic footage went through the real processing: ready, web version and
    poster on disk, originals deleted; a fragment shared with the parents, recordings kept for
    the team, a home recording by his father, moments in the method's tags. Elif has no
    consent yet, so no footage."""
    clips = db.session.scalars(select(Clip).where(Clip.child_id == noah.id)).all()
    recordings = [c for c in clips if not c.is_fragment]
    fragments = [c for c in clips if c.is_fragment]
    assert len(recordings) == 3 and len(fragments) == 2
    with app.app_context():
        for clip in clips:
            assert clip.state is ClipState.READY, clip
            assert storage.path_of(clip.web_key).is_file()
            assert storage.path_of(clip.poster_key).is_file()
            assert clip.original_key is None  # only the stripped web version is kept
            assert clip.width == 640 and clip.height == 360
    assert all(20 <= c.duration_s <= 40 for c in recordings)
    assert sorted(round(f.duration_s) for f in fragments) == [10, 12]  # in no set order
    assert {f.audience for f in fragments} == {Audience.CIRCLE}
    assert {f.source for f in fragments} == {Source.SCHOOL, Source.HOME}
    assert {c.audience for c in recordings} == {Audience.TEAM}
    peter = db.session.scalar(select(User).where(User.email == "ouder.bakker@example.nl"))
    [home] = [c for c in recordings if c.source is Source.HOME]
    assert home.uploader_id == peter.id
    assert any(c.shows_others and c.others_cleared_at is None for c in recordings)
    tags = set(db.session.scalars(select(Moment.tag).where(Moment.child_id == noah.id)))
    assert {Tag.SUCCESS, Tag.NEED} <= tags
    assert (
        db.session.scalar(select(func.count()).select_from(Clip).where(Clip.child_id == elif_.id))
        == 0
    )
    # What the parents see: the shared fragments, and Peter's own home recording.
    with app.test_request_context():
        shown = db.session.scalars(queries.visible_clips(policy.seat_for(peter, noah))).all()
    assert {c.id for c in shown} == {fragments[0].id, fragments[1].id, home.id}


def test_demo_meetings_hold_a_finalised_review_acknowledged_and_a_follow_up_next_week(app, runner):
    """Noah's shared review of last week: two agenda items (one a home/school pair),
    agreements, finalised with a sealed summary that Peter acknowledged; and a shared review
    planned next week, where the agreements still open come up to be reviewed. Loading again
    adds nothing."""
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    after_first = counts()
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    assert counts() == after_first

    noah = db.session.scalar(select(Child).where(Child.name == "Noah Bakker"))
    elif_ = db.session.scalar(select(Child).where(Child.name == "Elif Yılmaz"))
    assert (
        db.session.scalar(select(func.count(Meeting.id)).where(Meeting.child_id == elif_.id)) == 0
    )
    held, follow_up = db.session.scalars(
        select(Meeting).where(Meeting.child_id == noah.id).order_by(Meeting.starts_at)
    ).all()
    with app.app_context():
        today = local_date()
        zone = display_zone()
        assert held.kind is follow_up.kind is MeetingKind.SHARED_REVIEW
        assert held.state is MeetingState.FINALISED
        assert held.starts_at.astimezone(zone).date() < today
        assert follow_up.state is MeetingState.PLANNED
        next_week = follow_up.starts_at.astimezone(zone).date()
        assert today + timedelta(days=5) <= next_week <= today + timedelta(days=7)
        assert next_week.weekday() < 5  # a school day, as the review was
        assert held.starts_at.astimezone(zone).weekday() < 5

        items = agenda.agenda_of(db.session, held)
        assert len(items) == 2
        [pair] = [item for item in items if item.pair_clip is not None]
        assert {pair.clip.source, pair.pair_clip.source} == {Source.SCHOOL, Source.HOME}
        assert all(item.clip.audience is Audience.CIRCLE for item in items)

        made = agreements.made_in(db.session, held)
        assert {a.party for a in made} == {Party.SCHOOL, Party.HOME, Party.COACH}
        assert all(a.status is AgreementStatus.OPEN for a in made)

        summary = summaries.current_summary(db.session, held)
        assert summary is not None and summaries.document_of(db.session, summary) is not None
        peter = db.session.scalar(select(User).where(User.email == "ouder.bakker@example.nl"))
        record = acknowledgement.acknowledgement_of(db.session, summary, peter)
        assert record is not None and record.agrees
        assert record.typed_name == "Peter Bakker"
        assert record.summary_sha256 == summaries.document_of(db.session, summary).sha256
        states = {s.person.email: s.record for s in acknowledgement.states(db.session, summary)}
        assert states["ouder.bakker@example.nl"] is not None
        assert states["ouder.bakker2@example.nl"] is None  # Ilse has not acknowledged yet

        carried = agreements.to_review(db.session, follow_up)
        assert [entry.agreement.id for entry in carried] == [
            a.id for a in sorted(made, key=lambda a: (a.due_on, a.id))
        ]
        assert all(entry.review is None for entry in carried)
    assert audit.verify(db.session).ok


# --- what the README's table and `flask demo-data` tell a newcomer ---------------------------

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_demo_table() -> dict[str, tuple[str, str]]:
    """The README's demo accounts: e-mail → (name, account and state)."""
    section = README.read_text().split("## Demo accounts", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and "@" in cells[0]:
            rows[cells[0]] = (cells[1], cells[2])
    return rows


def check_state_told(user: User, told: str) -> None:
    """``told`` (clauses joined by "; ") says what the database holds about ``user``, read
    here straight from the tables."""
    clauses = told.split("; ")
    assert ("school admin" in clauses) == user.is_school_admin, told
    assert ("staff" in clauses) == (user.is_staff and not user.is_school_admin), told
    assert ("reads English" in clauses) == (user.preferred_language == "en"), told
    rows = db.session.execute(
        select(Membership.role, Child.name)
        .join(Child, Child.id == Membership.child_id)
        .where(Membership.user_id == user.id)
    ).all()
    assert ("in no circle" in clauses) == (not rows), told
    for role in Role:
        names = sorted(name for r, name in rows if r is role)
        expected = [f"{role.value} of {', '.join(names)}"] if names else []
        assert [c for c in clauses if c.startswith(f"{role.value} of ")] == expected, told
    for role, name in rows:
        if role is not Role.PARENT:
            continue
        record = db.session.scalar(
            select(ConsentRecord)
            .join(Child, Child.id == ConsentRecord.child_id)
            .where(Child.name == name, ConsentRecord.signer_id == user.id)
            .order_by(ConsentRecord.id.desc())
            .limit(1)
        )
        if record is None:
            assert f"has not answered for {name} yet" in clauses, told
        else:
            refused = [p.value.replace("_", " ") for p in Purpose if record.answers[p] != "yes"]
            said = f"no to {', '.join(refused)}" if refused else "yes to everything"
            assert f"signed for {name} ({said})" in clauses, told


def test_the_readme_table_is_what_demo_data_prints_and_what_the_data_holds(runner, without_footage):
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    table = readme_demo_table()
    assert set(table) == {email for _key, email, *_rest in PEOPLE}
    for email, (name, told) in table.items():
        user = db.session.scalar(select(User).where(User.email == email))
        assert user is not None and user.name == name, email
        check_state_told(user, told)
        assert f"  {email:<32} {name:<18} {told}\n" in result.output


def test_demo_data_prints_each_accounts_state_now(app, runner, without_footage):
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    ilse = db.session.scalar(select(User).where(User.email == "ouder.bakker2@example.nl"))
    noah = db.session.scalar(select(Child).where(Child.name == "Noah Bakker"))
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        sign_as(db.session, noah, ilse, {p: Answer.YES for p in Purpose})
        db.session.commit()  # before the request context ends, which removes the session

    again = runner.invoke(args=["demo-data"])
    assert again.exit_code == 0, again.output
    lines = {line.split()[0]: line for line in again.output.splitlines() if "@" in line}
    assert "signed for Noah Bakker (yes to everything)" in lines["ouder.bakker2@example.nl"]
    assert "not answered" not in lines["ouder.bakker2@example.nl"]
    assert "signed for Noah Bakker (no to peer review)" in lines["ouder.bakker@example.nl"]
    with app.app_context():  # the dates of circles and consent are the school's
        accounts = describe_accounts(db.session)
    for told, email, _name in accounts:
        check_state_told(db.session.scalar(select(User).where(User.email == email)), told)


def test_demo_plan_has_a_sent_version_and_a_draft_that_adopted_the_meetings_need(
    app, runner, client
):
    """Noah's support plan: version 1 sent to his parents (fixed, with its SHA-256), and the
    draft of version 2 that adopted the need named at the review's first agenda item, whose
    link the coach follows and which the parent does not see in the draft."""
    from app.meetings.models import ItemNotes
    from app.plans.models import PlanItem, PlanVersion

    assert runner.invoke(args=["demo-data"]).exit_code == 0
    noah = db.session.scalar(select(Child).where(Child.name == "Noah Bakker"))
    sent, draft = db.session.scalars(
        select(PlanVersion).where(PlanVersion.child_id == noah.id).order_by(PlanVersion.version)
    ).all()
    assert sent.is_published and sent.sha256 and not draft.is_published
    need = db.session.scalar(select(ItemNotes).where(ItemNotes.child_id == noah.id))
    adopted = db.session.scalar(
        select(PlanItem).where(PlanItem.plan_version_id == draft.id, PlanItem.need_id == need.id)
    )
    assert adopted is not None and adopted.text == need.need
    coach = next(u for k, u in demo._demo_users(db.session).items() if k == "coach")
    client.post("/sign-in", data={"email": coach.email, "password": demo.DEMO_PASSWORD})
    page = client.get(f"/children/{noah.id}/plan/versions/{draft.id}/edit").get_data(as_text=True)
    assert need.need in page
    assert f"/children/{noah.id}/meetings/{need.meeting_id}" in page


def test_demo_plan_version_one_is_signed_by_peter_in_a_sealed_pdf(app, runner, tmp_path):
    """Peter agreed with the action part of version 1 with a drawn signature (through the
    answers service), so its newest PDF carries his signature and evidence page, names the
    PDF it replaces, and verifies; Ilse's answer is still to give. Loading again changes
    nothing."""
    import subprocess

    from app.core.signing import SignatureMethod
    from app.plans.models import PlanAnswer, PlanVersion
    from app.plans.services import document

    assert runner.invoke(args=["demo-data"]).exit_code == 0
    noah = db.session.scalar(select(Child).where(Child.name == "Noah Bakker"))
    sent = db.session.scalar(
        select(PlanVersion).where(PlanVersion.child_id == noah.id, PlanVersion.version == 1)
    )
    (answer,) = db.session.scalars(select(PlanAnswer)).all()
    peter = db.session.scalar(select(User).where(User.email == "ouder.bakker@example.nl"))
    assert answer.plan_version_id == sent.id and answer.signer_id == peter.id
    assert answer.agrees and answer.signature_method is SignatureMethod.DRAWN
    assert answer.version_sha256 == sent.sha256
    issued = db.session.scalars(
        select(Document)
        .where(Document.subject_type == "PlanVersion", Document.subject_id == sent.id)
        .order_by(Document.id)
    ).all()
    assert len(issued) == 2 and document.document_of(db.session, sent).id == issued[-1].id
    path = tmp_path / "plan.pdf"
    with app.app_context():
        path.write_bytes(storage.path_of(issued[-1].storage_key).read_bytes())
    text = " ".join(
        subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout.split()
    )
    for expected in ("Peter Bakker", "Gaat akkoord", "Bewijs: Peter Bakker", "Ilse Bakker"):
        assert expected in text, expected
    assert "Nog niet beantwoord" in text and "Vervangt" in text
    verified = runner.invoke(args=["verify-pdf", str(path)])
    assert verified.exit_code == 0 and "support_plan" in verified.output, verified.output
    before = counts()
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    assert counts() == before
