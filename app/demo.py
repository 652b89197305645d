"""The demo school that `make run` loads: a believable Dutch primary school.

Loading is idempotent: a second run finds the school by name and changes nothing. Everyone's
password is DEMO_PASSWORD. The footage and people are invented.
"""

from __future__ import annotations

import io
import math
import secrets
from datetime import date, timedelta

from flask import current_app
from PIL import Image, ImageDraw
from sqlalchemy import select

from app.auth import services as auth
from app.auth.models import SignInMethod, User
from app.consent import services as consent
from app.consent.models import Answer, Purpose, SignatureMethod
from app.core import audit
from app.core.db import db, utcnow
from app.people.models import Child, Membership, Role, School

DEMO_PASSWORD = "samen-kijken-2026"  # noqa: S105 - printed for the demo on purpose
SCHOOL_NAME = "OBS De Regenboog"

# (key, e-mail, name, staff, admin, language, what to try with this account)
PEOPLE = [
    ("admin", "beheer@regenboog.example", "Marieke de Vries", True, True, "nl",
     "school admin: staff, consent texts"),
    ("coach", "coach@regenboog.example", "Sanne Jansen", True, False, "nl",
     "coach of Noah and Elif"),
    ("teacher", "juf.fatima@regenboog.example", "Fatima El Amrani", True, False, "nl",
     "teacher of Noah"),
    ("teacher2", "meester.daan@regenboog.example", "Daan Visser", True, False, "nl",
     "teacher of Elif"),
    ("parent", "ouder.bakker@example.nl", "Peter Bakker", False, False, "nl",
     "parent of Noah, has signed consent"),
    ("parent2", "ouder.bakker2@example.nl", "Ilse Bakker", False, False, "nl",
     "parent of Noah, not answered yet"),
    ("parent3", "ouder.yilmaz@example.nl", "Ayşe Yılmaz", False, False, "en",
     "parent of Elif, reads English"),
]  # fmt: skip

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
    return [(role, email, name) for _key, email, name, _s, _a, _l, role in PEOPLE]


def _create(session) -> None:  # type: ignore[no-untyped-def]
    school = School(name=SCHOOL_NAME, city="Utrecht")
    session.add(school)
    session.flush()
    users: dict[str, User] = {}
    for key, email, name, staff, admin, language, _role in PEOPLE:
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
    template = consent.ensure_published_template(session, school, actor=users["admin"])
    noah = session.scalar(
        select(Child).where(Child.school_id == school.id, Child.name == "Noah Bakker")
    )
    _sign_demo_consent(session, noah, users["parent"], template)


def _sign_demo_consent(session, child: Child, parent: User, template) -> None:  # type: ignore[no-untyped-def]
    """Peter Bakker's signed consent for Noah: yes to everything but peer review."""
    answers = {p: Answer.YES for p in Purpose}
    answers[Purpose.PEER_REVIEW] = Answer.NO
    consent.sign(
        session,
        child,
        parent,
        template=template,
        language="nl",
        answers=answers,
        typed_name=parent.name,
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
