"""The demo school's support plan for Noah: a version sent to his parents and signed by
Peter, and a draft that adopted the need named in his shared review.

Everything goes through the plan services, as the pages would: the coach fills in the parts,
adopts the home agreement of the review (with its link), adds a goal and the approach at
school, and sends version 1 (his parents are mailed); Peter agrees with its action part with
a drawn signature, which issues the sealed PDF with his signature and its evidence page;
then the coach adopts the need the group wrote at the review's first agenda item, which
starts the draft of version 2. Ilse has not answered: hers is there to try.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select

from app.circle import policy
from app.circle.models import Child, User
from app.core.clock import local_date
from app.core.db import DbSession, utcnow
from app.core.signin import SignInMethod
from app.core.signing import Evidence, OpenedForm, Signature, SignatureMethod
from app.meetings.models import ItemNotes
from app.meetings.models_followup import Agreement, Party
from app.plans.models import Part, PlanAnswer, PlanVersion
from app.plans.services import answers, drafts, sources

ITEMS = [
    (Part.HINDERING, "In de grote kring raakt Noah snel afgeleid door beweging om hem heen.", ""),
    (Part.SUPPORTING, "Noah werkt lang geconcentreerd bij één taak tegelijk.", ""),
    (Part.STRENGTH, "Noah neemt graag initiatief en wijst aan wat hij ziet.", ""),
    (Part.NEED, "Noah heeft een vaste plek dicht bij juf nodig en korte beurten.", ""),
    (Part.AT_SCHOOL, "Vaste plek naast juf in de kring; juf benoemt wat Noah aanwijst.", "Juf"),
]
GOAL = "Noah blijft tien minuten in de kring zitten en doet mee."


def has_plan(session: DbSession, child: Child) -> bool:
    """True when ``child`` has any version of a plan (then the demo adds none)."""
    found = session.scalar(select(PlanVersion.id).where(PlanVersion.child_id == child.id))
    return found is not None


def has_answer(session: DbSession, child: Child) -> bool:
    """True when anyone answered on any version of ``child``'s plan."""
    found = session.scalar(select(PlanAnswer.id).where(PlanAnswer.child_id == child.id))
    return found is not None


def sign_as_parent(session: DbSession, child: Child, parent: User) -> PlanAnswer:
    """``parent`` agrees with the action part of the version in force of ``child``'s plan,
    with the drawn demo signature, as the answer form would (the form opened a minute after
    sending, or now). Needs a request context. Raises RuntimeError when ``parent`` is not in
    the circle or no version is sent, and what ``answers.answer`` raises."""
    from app.demo import demo_signature_png

    seat = policy.seat_for(parent, child)
    if seat is None:
        raise RuntimeError("the demo parent is not in the circle of the demo child")
    version = drafts.in_force(session, seat)
    if version is None or version.published_at is None:
        raise RuntimeError("the demo child has no plan sent to the parents")
    # Opened after sending: the answer's evidence lists what happened since.
    opened_at = min(version.published_at + timedelta(minutes=1), utcnow())
    return answers.answer(
        session,
        seat,
        version,
        answers.AnswerData(
            agrees=True,
            reason="",
            typed_name=parent.name,
            signature=Signature(SignatureMethod.DRAWN, demo_signature_png()),
        ),
        opened=OpenedForm(opened_at, secrets.token_hex(16), {"version": version.id}),
        evidence=Evidence("127.0.0.1", "Beeldbrug demo data", SignInMethod.PASSWORD),
    )


def add_plan(session: DbSession, child: Child, users: dict[str, User]) -> None:
    """Make Noah's sent version 1 with Peter's signed agreement and the draft of version 2;
    commits. Needs a request context (links, audit details) and the demo meetings (the
    agreement and the need).

    Raises RuntimeError when the coach is not in the circle or the meeting's need or home
    agreement is missing, and what the plan services raise."""
    coach = policy.seat_for(users["coach"], child)
    if coach is None:
        raise RuntimeError("the demo coach is not in the circle of the demo child")
    need = session.scalar(select(ItemNotes).where(ItemNotes.child_id == child.id))
    agreement = session.scalar(
        select(Agreement).where(Agreement.child_id == child.id, Agreement.party == Party.HOME)
    )
    if need is None or agreement is None:
        raise RuntimeError("the demo plan needs the demo meeting's need and home agreement")
    today = local_date()
    draft = drafts.start_draft(session, coach)
    drafts.update_parts(
        session,
        coach,
        draft,
        drafts.PartsData(
            plan_date=today,
            exit_profile="Regulier basisonderwijs, daarna vmbo-kader",
            exit_reasoning="Noah leert goed in kleine stappen met een vaste structuur.",
            deviation="",
            evaluation="",
            pupil_view="Ik wil graag naast juf zitten in de kring.",
            consulted_on=today,
        ),
        seen=draft.edit_count,
    )
    for part, text, who in ITEMS:
        drafts.add_item(session, coach, draft, drafts.ItemData(part, text, who=who))
    goal = drafts.ItemData(Part.GOAL, GOAL, target_on=today + timedelta(days=120), who="Juf")
    drafts.add_item(session, coach, draft, goal)
    sources.adopt(session, coach, sources.SourceKind.AGREEMENT, agreement.id)
    drafts.send(session, coach, draft)
    sign_as_parent(session, child, users["parent"])
    sources.adopt(session, coach, sources.SourceKind.NEED, need.id)
    session.commit()
