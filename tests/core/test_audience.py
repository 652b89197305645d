"""Who sees an object with an audience, and who may set which audience (DESIGN rule 2).

One expected table per question, written out below so a reader can check it. The Python check
(``may_see``), the SQL clause for lists (``visible_clause``, on a real table in SQLite or
PostgreSQL, whichever the suite runs on) and the loader (``visible_or_404``) must each agree
with it, cell by cell. Each asks with the visitor's seat (``policy.seat_for``), as a request
does; a visitor outside the circle has no seat, and a request without one gets 404 before any
of them is asked. Clip routes join the same walk in tests/test_authorization.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, false, insert, select, text
from sqlalchemy.orm import registry

from app.auth.models import UserSession
from app.circle import audience as audience_module
from app.circle import policy
from app.circle.audience import (
    Audience,
    audience_or_403,
    may_see,
    may_set_audience,
    settable_audiences,
    visible_clause,
    visible_or_404,
)
from app.circle.models import Child, Invitation, Membership, Role, User
from app.core.db import db, enum_column, utcnow
from app.core.errors import ForbiddenError, NotFoundError
from app.people import services as people
from tests.support.audience import NOW, SEES, SETS, UPLOADS, VISITORS, sees

# --- the world ---------------------------------------------------------------------------------


@dataclass
class World:
    child: Child
    other_child: Child
    people: dict[str, User]
    former_parent: User


@pytest.fixture
def world(circle, make_user, make_child) -> World:
    """The circle with a pupil, a removed teacher and parent, the school admin, an outsider."""
    pupil = make_user("Sem zelf")
    removed = make_user("Oud-leerkracht Olga", staff=True)
    former_parent = make_user("Oud-ouder Otto")
    outsider = make_user("Andere Coach", staff=True)
    admin = make_user("Beheerder Bea", admin=True)
    other_child = make_child("Ander Kind", coach=outsider)
    yesterday = utcnow() - timedelta(days=1)
    child_id = circle.child.id
    db.session.add(Membership(child_id=child_id, user_id=pupil.id, role=Role.PUPIL))
    for user, role in ((removed, Role.TEACHER), (former_parent, Role.PARENT)):
        db.session.add(
            Membership(
                child_id=child_id,
                user_id=user.id,
                role=role,
                active_from=yesterday - timedelta(days=30),
                active_until=yesterday,
            )
        )
    db.session.commit()
    people = {
        "coach": circle.coach,
        "teacher": circle.teacher,
        "specialist": circle.specialist,
        "parent": circle.parent,
        "pupil": pupil,
        "outsider": outsider,
        "school_admin": admin,
        "removed": removed,
    }
    return World(circle.child, other_child, people, former_parent)


probe_metadata = MetaData()
#: A stand-in for the clips, moments, meetings and plans to come: only what the rule reads.
probe = Table(
    "audience_probe",
    probe_metadata,
    Column("id", Integer, primary_key=True),
    Column("child_id", Integer, nullable=False),
    Column("audience", enum_column(Audience), nullable=False),
    Column("uploader_id", Integer),
)


class Probe:
    id: int
    child_id: int
    audience: Audience
    uploader_id: int | None


registry().map_imperatively(Probe, probe)


@pytest.fixture
def probe_rows(world, db_connection) -> dict[int, tuple[int, Audience, int]]:
    """One row per audience and uploader (every visitor, and someone else), for both children.

    The table lives in this test's transaction only, so it vanishes with the rollback.
    """
    probe_metadata.create_all(db_connection)
    uploaders = [u.id for u in world.people.values()] + [world.former_parent.id]
    rows = [
        {"child_id": child.id, "audience": audience, "uploader_id": uploader}
        for child in (world.child, world.other_child)
        for audience in Audience
        for uploader in uploaders
    ]
    # Through the connection, not the session: each request context ends by removing the
    # session, which would take uncommitted rows with it.
    db_connection.execute(insert(probe), rows)
    found = db_connection.execute(
        select(probe.c.id, probe.c.child_id, probe.c.audience, probe.c.uploader_id)
    )
    return {row.id: (row.child_id, row.audience, row.uploader_id) for row in found}


def expected_ids(world: World, visitor: str, rows: dict) -> set[int]:
    me = world.people[visitor].id
    return {
        row_id
        for row_id, (child_id, audience, uploader_id) in rows.items()
        if child_id == world.child.id and sees(visitor, audience, uploader_id == me)
    }


# --- asking as a visitor: no seat, nothing -------------------------------------------------------


def sees_as(user: User, child: Child, **ask) -> bool:
    seat = policy.seat_for(user, child)
    return seat is not None and may_see(seat, **ask)


def clause_for(user: User, child: Child):
    seat = policy.seat_for(user, child)
    if seat is None:
        return false()
    return visible_clause(
        seat,
        child_col=probe.c.child_id,
        audience_col=probe.c.audience,
        uploader_col=probe.c.uploader_id,
    )


def load_as(user: User, child: Child, row_id: int) -> Probe:
    seat = policy.seat_for(user, child)
    if seat is None:
        raise NotFoundError("no_seat")
    return visible_or_404(Probe, seat, row_id)


def settable_as(user: User, child: Child, **ask) -> tuple[Audience, ...]:
    seat = policy.seat_for(user, child)
    return () if seat is None else settable_audiences(seat, **ask)


# --- seeing --------------------------------------------------------------------------------------


def test_the_table_covers_every_visitor_audience_and_uploader():
    assert len(SEES) == len(VISITORS) * len(Audience) * 2
    assert {visitor for visitor, _, _ in SEES} == set(VISITORS)


@pytest.mark.parametrize("visitor", VISITORS)
def test_may_see_follows_the_table(app, world, visitor):
    user = world.people[visitor]
    someone_else = world.former_parent.id
    wrong = []
    for audience in Audience:
        for own in (True, False):
            with app.test_request_context():
                got = sees_as(
                    user,
                    world.child,
                    audience=audience,
                    uploader_id=user.id if own else someone_else,
                )
            if got != sees(visitor, audience, own):
                wrong.append((audience.value, "own" if own else "other", got))
    assert wrong == []


@pytest.mark.parametrize("visitor", VISITORS)
def test_the_list_clause_follows_the_table(app, world, probe_rows, visitor):
    user = world.people[visitor]
    with app.test_request_context():
        clause = clause_for(user, world.child)
        got = set(db.session.scalars(select(probe.c.id).where(clause)))
    assert got == expected_ids(world, visitor, probe_rows)


@pytest.mark.parametrize("visitor", VISITORS)
def test_the_loader_finds_what_the_table_allows_and_404s_the_rest(app, world, probe_rows, visitor):
    user = world.people[visitor]
    allowed = expected_ids(world, visitor, probe_rows)
    wrong = []
    for row_id in probe_rows:
        with app.test_request_context():
            try:
                found = load_as(user, world.child, row_id).id == row_id
            except NotFoundError:
                found = False
        if found != (row_id in allowed):
            wrong.append(row_id)
    assert wrong == []


def test_the_audience_is_stored_as_its_plain_name(world, probe_rows):
    stored = set(db.session.scalars(text("SELECT DISTINCT audience FROM audience_probe")))
    assert stored == {"private", "team", "circle"}


def test_every_audience_has_a_label(app):
    with app.test_request_context():
        labels = [audience.label for audience in Audience]
    assert all(labels) and len(set(labels)) == len(Audience)


def test_one_request_asking_about_two_people_gets_two_answers(app, world):
    """The coach's request asks whether the parent sees a team clip: no, whatever the coach sees."""
    with app.test_request_context():
        ask = dict(audience=Audience.TEAM, uploader_id=world.former_parent.id)
        coach = policy.seat_for(world.people["coach"], world.child)
        parent = policy.seat_for(world.people["parent"], world.child)
        assert coach is not None and parent is not None
        assert may_see(coach, **ask)
        assert not may_see(parent, **ask)


def test_removal_takes_effect_on_the_next_request(app, world):
    teacher = world.people["teacher"]
    ask = dict(audience=Audience.TEAM, uploader_id=world.former_parent.id)
    with app.test_request_context():
        assert sees_as(teacher, world.child, **ask)
    membership = db.session.scalar(
        select(Membership).where(
            Membership.child_id == world.child.id, Membership.user_id == teacher.id
        )
    )
    people.remove_member(db.session, membership, actor=world.people["coach"])
    db.session.commit()
    with app.test_request_context():
        assert policy.seat_for(teacher, world.child) is None
        assert not sees_as(teacher, world.child, **ask)
        clause = clause_for(teacher, world.child)
        assert str(clause.compile(compile_kwargs={"literal_binds": True})) in ("false", "0 = 1")


def test_an_error_inside_the_check_denies(app, world, probe_rows, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("policy store unavailable")

    monkeypatch.setattr(policy, "role_in_circle", broken)
    monkeypatch.setattr(policy, "_child_and_role", broken)  # the seat's own one query
    coach = world.people["coach"]
    own_circle_row = next(
        row_id
        for row_id, (child_id, audience, uploader) in probe_rows.items()
        if child_id == world.child.id and audience is Audience.CIRCLE and uploader == coach.id
    )
    with app.test_request_context():
        assert policy.seat_for(coach, world.child) is None  # no seat: nothing below is asked
        assert not sees_as(coach, world.child, audience=Audience.CIRCLE, uploader_id=coach.id)
        clause = clause_for(coach, world.child)
        assert list(db.session.scalars(select(probe.c.id).where(clause))) == []
        with pytest.raises(NotFoundError):
            load_as(coach, world.child, own_circle_row)
        with pytest.raises(NotFoundError):
            policy.seat_or_404(world.child.id, coach)
        assert settable_as(coach, world.child, uploader_id=coach.id, current=None) == ()


def test_an_error_inside_an_audience_check_denies(app, world, probe_rows, monkeypatch):
    """With a seat in hand, an error while deciding (here: the audience table) still denies."""
    coach = world.people["coach"]
    with app.test_request_context():
        seat = policy.seat_for(coach, world.child)
        assert seat is not None
        monkeypatch.setattr(audience_module, "SEES", {})
        assert not may_see(seat, audience=Audience.CIRCLE, uploader_id=None)
        clause = visible_clause(
            seat,
            child_col=probe.c.child_id,
            audience_col=probe.c.audience,
            uploader_col=probe.c.uploader_id,
        )
        assert list(db.session.scalars(select(probe.c.id).where(clause))) == []
        # A teacher's private upload: the coach may open it to the team, unless deciding fails.
        ask = dict(uploader_id=world.people["teacher"].id, current=Audience.PRIVATE)
        assert may_set_audience(seat, **ask, new=Audience.TEAM)
        monkeypatch.setattr(audience_module, "_role_of", broken_role_of)
        assert not may_set_audience(seat, **ask, new=Audience.TEAM)


def broken_role_of(*args, **kwargs):
    raise RuntimeError("policy store unavailable")


def test_an_unknown_audience_denies(app, world):
    with app.test_request_context():
        assert not sees_as(
            world.people["coach"], world.child, audience="everyone", uploader_id=None
        )


# --- setting the audience ----------------------------------------------------------------------


def uploader_for(world: World, actor: str, upload: str) -> int:
    if upload == "own":
        return world.people[actor].id
    if upload == "school":
        return world.people["specialist" if actor == "teacher" else "teacher"].id
    if upload == "home":
        return world.people["parent" if actor != "parent" else "pupil"].id
    assert upload == "left"
    return world.former_parent.id


def test_the_setting_table_names_only_known_people_and_moments():
    for actor, upload, now in SETS:
        assert actor in VISITORS and upload in UPLOADS and now in NOW


@pytest.mark.parametrize("actor", VISITORS)
def test_who_may_set_which_audience_follows_the_table(app, world, actor):
    user = world.people[actor]
    wrong = []
    for upload in UPLOADS:
        uploader_id = uploader_for(world, actor, upload)
        for now, current in NOW.items():
            want = SETS.get((actor, upload, now), frozenset())
            with app.test_request_context():
                got = frozenset(
                    settable_as(user, world.child, uploader_id=uploader_id, current=current)
                )
            if got != want:
                wrong.append(f"{upload} {now}: expected {sorted(want)}, got {sorted(got)}")
    assert wrong == []


def test_a_refused_audience_change_is_a_403_and_an_allowed_one_passes(app, world):
    parent = policy.seat_for(world.people["parent"], world.child)
    assert parent is not None
    with app.test_request_context():
        with pytest.raises(ForbiddenError):
            audience_or_403(
                parent,
                uploader_id=parent.user.id,
                current=Audience.TEAM,
                new=Audience.CIRCLE,
            )
        chosen = audience_or_403(
            parent, uploader_id=parent.user.id, current=Audience.PRIVATE, new=Audience.TEAM
        )
    assert chosen is Audience.TEAM


# --- one notion of the school side ---------------------------------------------------------------


def invited_account(app, child, role: Role, email: str) -> User:
    """Accept an invitation with ``role`` by creating a new account, as the accept page does."""
    invitation = Invitation(
        child_id=child.id,
        email=email,
        name="Nieuw Lid",
        role=role,
        token_hash=email.ljust(64, "0")[:64],
        expires_at=utcnow() + timedelta(days=3),
        access_until=(utcnow() + timedelta(days=60)).date() if role is Role.SPECIALIST else None,
    )
    db.session.add(invitation)
    db.session.flush()
    with app.test_request_context():
        user = people.accept_with_new_account(
            db.session, invitation, name="Nieuw Lid", password="een goed wachtwoord", language="nl"
        )
    db.session.commit()
    return user


def test_an_invited_teacher_becomes_staff_and_an_invited_specialist_does_not(app, circle):
    teacher = invited_account(app, circle.child, Role.TEACHER, "juf.nieuw@example.nl")
    specialist = invited_account(app, circle.child, Role.SPECIALIST, "ambulant@example.nl")
    assert teacher.is_staff and teacher.school_id == circle.child.school_id
    # A specialist works for another organisation: school-side in this circle, not our staff.
    assert not specialist.is_staff and specialist.school_id is None


def test_a_specialist_gets_the_staff_idle_time_out_and_a_parent_does_not(app, circle, login_as):
    """A specialist is no staff account, but school-side in the circle: signed out sooner."""
    for user, timeout in (
        (circle.specialist, app.config["STAFF_IDLE_TIMEOUT"]),
        (circle.parent, app.config["OTHER_IDLE_TIMEOUT"]),
    ):
        login_as(user, on=app.test_client())
        minutes = db.session.scalar(
            select(UserSession.idle_minutes).where(UserSession.user_id == user.id)
        )
        assert minutes == timeout.total_seconds() // 60
