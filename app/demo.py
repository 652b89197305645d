"""The demo school that `make run` loads: a believable Dutch primary school.

Loading is idempotent: a second run finds the school by name and changes nothing. Everyone's
password is DEMO_PASSWORD. The footage and people are invented. What `flask demo-data` prints
about each account is read from the database, so it stays true after people have used the demo;
the README's table shows it as first loaded (tests/test_demo.py holds the two together).
"""

from __future__ import annotations

import io
import math
import secrets
from collections.abc import Mapping
from datetime import date, timedelta
from itertools import groupby
from typing import TypedDict

from flask import current_app
from PIL import Image, ImageDraw
from sqlalchemy import select

from app.auth import services as auth
from app.circle.models import Child, Membership, Role, School, User
from app.circle.policy import active_membership_clause
from app.consent import services as consent
from app.consent.models import PURPOSES, Answer, ConsentRecord, Purpose, SignatureMethod
from app.core import audit
from app.core.db import DbSession, db, utcnow
from app.core.signin import SignInMethod

DEMO_PASSWORD = "samen-kijken-2026"  # noqa: S105 - printed for the demo on purpose
SCHOOL_NAME = "OBS De Regenboog"

# (key, e-mail, name, staff, admin, language)
PEOPLE = [
    ("admin", "beheer@regenboog.example", "Marieke de Vries", True, True, "nl"),
    ("coach", "coach@regenboog.example", "Sanne Jansen", True, False, "nl"),
    ("teacher", "juf.fatima@regenboog.example", "Fatima El Amrani", True, False, "nl"),
    ("teacher2", "meester.daan@regenboog.example", "Daan Visser", True, False, "nl"),
    ("parent", "ouder.bakker@example.nl", "Peter Bakker", False, False, "nl"),
    ("parent2", "ouder.bakker2@example.nl", "Ilse Bakker", False, False, "nl"),
    ("parent3", "ouder.yilmaz@example.nl", "Ayşe Yılmaz", False, False, "en"),
]  # fmt: skip


class ChildSpec(TypedDict):
    """One demo child: who, in which group, with which question and circle."""

    name: str
    born_years_ago: int
    group: str
    question: str
    circle: list[tuple[str, Role]]


CHILDREN: list[ChildSpec] = [
    {
        "name": "Noah Bakker",
        "born_years_ago": 8,
        "group": "groep 5",
        "question": (
            "Noah raakt in de grote kring snel afgeleid en loopt dan weg. Wat heeft Noah nodig "
            "om mee te blijven doen, en hoe bieden we dat in de klas en thuis aan tafel?"
        ),
        "circle": [
            ("coach", Role.COACH),
            ("teacher", Role.TEACHER),
            ("parent", Role.PARENT),
            ("parent2", Role.PARENT),
        ],
    },
    {
        "name": "Elif Yılmaz",
        "born_years_ago": 6,
        "group": "groep 3",
        "question": (
            "Elif zegt in de klas bijna niets, thuis kletst ze honderduit. Wat helpt Elif om "
            "ook op school initiatief te nemen, en hoe ontvangen we haar initiatieven?"
        ),
        "circle": [("coach", Role.COACH), ("teacher2", Role.TEACHER), ("parent3", Role.PARENT)],
    },
]


class DemoRefused(RuntimeError):
    """The demo school may not be loaded here (a production installation)."""


def load_demo() -> list[tuple[str, str, str]]:
    """Create the demo school, people, children and circles unless they exist, and Noah's
        footage unless he has some (synthetic, processed to ready: ``app.demo_footage``), and his
    meetings unless he has one (``app.demo_meetings``) and his support plan unless he has one
    (``app.demo_plans``); commit.

        Returns ``describe_accounts()``: each account as it is now. Raises DemoRefused in
        production (its accounts' password is printed in the README), and database errors.
    """
    if current_app.config.get("ENV_NAME") == "production":
        raise DemoRefused(
            "demo-data refuses to run in production (BEELDBRUG_ENV=production): it would "
            "create a school admin and accounts whose password is printed in the README. "
            "Create a real school with create-school instead."
        )
    session = db.session
    school = session.scalar(select(School).where(School.name == SCHOOL_NAME))
    if school is None:
        with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
            _create(session)
        session.commit()
    _ensure_footage(session)
    _ensure_meetings(session)
    _ensure_plan(session)
    return describe_accounts(session)


def _ensure_footage(session: DbSession) -> None:
    """Add the demo footage of Noah unless he has some (also to a demo school loaded before
    there were clips). Raises what ``demo_footage.add_footage`` raises."""
    from app import demo_footage

    noah = _noah(session)
    if noah is None or demo_footage.has_footage(session, noah):
        return
    users = _demo_users(session)
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        demo_footage.add_footage(session, noah, users, users["coach"])
    session.commit()


def _ensure_meetings(session: DbSession) -> None:
    """Add Noah's demo meetings unless he has one (also to a demo school loaded before there
    were meetings), once his footage is there. Raises what ``demo_meetings.add_meetings``
    raises."""
    from app import demo_footage, demo_meetings

    noah = _noah(session)
    if noah is None or not demo_footage.has_footage(session, noah):
        return
    if demo_meetings.has_meetings(session, noah):
        return
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        demo_meetings.add_meetings(session, noah, _demo_users(session))
    session.commit()


def _ensure_plan(session: DbSession) -> None:
    """Add Noah's demo support plan unless he has one, once his meetings are there; to a plan
    that nobody answered yet (a demo loaded before), Peter's signed agreement. Raises what
    ``demo_plans.add_plan`` and ``demo_plans.sign_as_parent`` raise."""
    from app import demo_meetings, demo_plans

    noah = _noah(session)
    if noah is None or not demo_meetings.has_meetings(session, noah):
        return
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        if not demo_plans.has_plan(session, noah):
            demo_plans.add_plan(session, noah, _demo_users(session))
        elif not demo_plans.has_answer(session, noah):
            # A demo loaded before the plan was signed: Peter signs the version in force.
            demo_plans.sign_as_parent(session, noah, _demo_users(session)["parent"])
    session.commit()


def _noah(session: DbSession) -> Child | None:
    school: School | None = session.scalar(select(School).where(School.name == SCHOOL_NAME))
    assert school is not None  # load_demo creates it first
    return session.scalar(
        select(Child).where(Child.school_id == school.id, Child.name == "Noah Bakker")
    )


def _demo_users(session: DbSession) -> dict[str, User]:
    """The demo people by their key in PEOPLE."""
    emails = {email: key for key, email, *_rest in PEOPLE}
    return {
        emails[user.email]: user
        for user in session.scalars(select(User).where(User.email.in_(emails)))
    }


def describe_accounts(session: DbSession) -> list[tuple[str, str, str]]:
    """Each demo account as (what it is now, e-mail, name), read from the database.

    What it is: a staff or school-admin account, its role in each circle it is in, whether it
    has answered the consent of each child it decides for (and the parts it said no to), and
    English when it reads English. Accounts that do not exist are left out. Raises nothing
    beyond database errors.
    """
    emails = [email for _key, email, *_rest in PEOPLE]
    users = {u.email: u for u in session.scalars(select(User).where(User.email.in_(emails)))}
    return [(_describe(session, users[e]), e, users[e].name) for e in emails if e in users]


def _describe(session: DbSession, user: User) -> str:
    parts = []
    if user.is_school_admin:
        parts.append("school admin")
    elif user.is_staff:
        parts.append("staff")
    memberships = session.execute(
        select(Membership.role, Child)
        .join(Child, Child.id == Membership.child_id)
        .where(Membership.user_id == user.id, active_membership_clause())
        .order_by(Membership.role, Child.name)
    ).all()
    for role, rows in groupby(memberships, key=lambda row: row[0]):
        parts.append(f"{role.value} of {', '.join(child.name for _role, child in rows)}")
    if not memberships:
        parts.append("in no circle")
    for _role, child in memberships:
        if user not in consent.signers(session, child):
            continue
        record = consent.latest_records(session, child, [user.id]).get(user.id)
        if record is None:
            parts.append(f"has not answered for {child.name} yet")
            continue
        refused = [
            p.value.replace("_", " ") for p in PURPOSES if record.answer(p) is not Answer.YES
        ]
        parts.append(
            f"signed for {child.name}"
            + (f" (no to {', '.join(refused)})" if refused else " (yes to everything)")
        )
    if user.preferred_language == "en":
        parts.append("reads English")
    return "; ".join(parts)


def _create(session: DbSession) -> None:
    school = School(name=SCHOOL_NAME, city="Utrecht")
    session.add(school)
    session.flush()
    users: dict[str, User] = {}
    for key, email, name, staff, admin, language in PEOPLE:
        user = User(
            email=email,
            name=name,
            preferred_language=language,
            is_staff=staff,
            is_school_admin=admin,
            school_id=school.id if staff else None,
        )
        auth.set_password(user, DEMO_PASSWORD)
        session.add(user)
        users[key] = user
    session.flush()
    today = utcnow().date()
    for spec in CHILDREN:
        born = date(today.year - spec["born_years_ago"], 3, 14)
        child = Child(
            school_id=school.id,
            name=spec["name"],
            date_of_birth=born,
            group_name=spec["group"],
            guiding_question=spec["question"],
            started_on=today - timedelta(days=21),
            created_by_id=users["coach"].id,
        )
        session.add(child)
        session.flush()
        for key, role in spec["circle"]:
            session.add(Membership(child_id=child.id, user_id=users[key].id, role=role))
        audit.record(session, "demo_loaded", actor=users["coach"], child=child, obj=child)
    session.flush()
    consent.ensure_published_template(session, school, actor=users["admin"])
    noah = session.scalar(
        select(Child).where(Child.school_id == school.id, Child.name == "Noah Bakker")
    )
    assert noah is not None  # made above, the first of CHILDREN
    # Peter Bakker's signed consent for Noah: yes to everything but peer review.
    answers = {p: Answer.YES for p in Purpose}
    answers[Purpose.PEER_REVIEW] = Answer.NO
    sign_as(session, noah, users["parent"], answers)


def sign_as(
    session: DbSession, child: Child, signer: User, answers: Mapping[Purpose, Answer]
) -> ConsentRecord:
    """Sign the school's published consent text for ``child`` as ``signer``, in Dutch, with a
    drawn demo signature, as the form would. Needs a request context (it may send mail).

    Raises what ``consent.sign`` raises, e.g. RefusedError when ``signer`` does not decide.
    """
    template = consent.published_template(session, child.school_id)
    assert template is not None  # the demo school's template is published when it is made
    return consent.sign(
        session,
        child,
        signer,
        template=template,
        language="nl",
        answers=dict(answers),
        typed_name=signer.name,
        signature=consent.Signature(SignatureMethod.DRAWN, demo_signature_png()),
        opened_at=utcnow() - timedelta(minutes=4),
        nonce=secrets.token_hex(16),
        evidence=consent.Evidence("127.0.0.1", "Beeldbrug demo data", SignInMethod.PASSWORD),
    )


def demo_signature_png() -> bytes:
    """A synthetic signature: a few pen strokes, drawn with Pillow (nobody's real signature)."""
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    wave = [(40 + x * 5, 120 - 45 * math.sin(x / 6) * math.exp(-x / 90)) for x in range(100)]
    pen.line(wave, fill=(20, 33, 61, 255), width=4, joint="curve")
    pen.line(
        [(300, 150), (360, 60), (400, 150), (470, 70), (540, 140)],
        fill=(20, 33, 61, 255),
        width=4,
        joint="curve",
    )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
