"""The demo school that `make run` loads: a believable Dutch primary school.

Loading is idempotent: a second run finds the school by name and changes nothing. Everyone's
password is DEMO_PASSWORD. The footage and people are invented.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from app.auth import services as auth
from app.auth.models import User
from app.core import audit
from app.core.db import db, utcnow
from app.people.models import Child, Membership, Role, School

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
]

CHILDREN = [
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


def load_demo() -> list[tuple[str, str, str]]:
    """Create the demo school, people, children and circles unless they exist; list accounts."""
    session = db.session
    school = session.scalar(select(School).where(School.name == SCHOOL_NAME))
    if school is None:
        with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
            _create(session)
        session.commit()
    return [(key, email, name) for key, email, name, *_ in PEOPLE]


def _create(session) -> None:  # type: ignore[no-untyped-def]
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
