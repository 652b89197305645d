"""The demo school's meetings: Noah's shared review of last week, finalised, and the follow-up.

Everything goes through the meeting services, as the pages would: the coach plans a shared
review with the whole circle, puts two items on its agenda (the circle fragment from school,
then the home fragment beside the school one as a pair), writes what the group saw and what
Noah needs at the first item as meeting mode would, records three agreements, finalises
it with what the group saw and what Noah needs (a sealed summary PDF), and Peter Bakker
acknowledges that summary with a signed record. A follow-up is planned a week from today (a
school day); the open agreements come up there to be reviewed, which the agreements service
works out itself.
"""

from __future__ import annotations

import secrets
from datetime import date, time, timedelta

from sqlalchemy import Table, select, update

from app.circle import policy
from app.circle.audience import Audience
from app.circle.models import Child, User
from app.clips.models import Clip, Source
from app.core.clock import local_date
from app.core.db import DbSession, utcnow
from app.core.signin import SignInMethod
from app.core.signing import Evidence, OpenedForm
from app.meetings.models import Meeting, MeetingKind
from app.meetings.services import acknowledgement, agenda, agreements, notes, planning, queries
from app.meetings.services import summary as summaries

PLACE = "Kamer van de IB'er, OBS De Regenboog"
START, END = time(15, 0), time(16, 0)
#: The follow-up is a week from today (the Friday before, when that is a weekend day); the
#: shared review was held two weeks before the follow-up.
FOLLOW_UP_DAYS = 7
HELD_BEFORE_FOLLOW_UP = timedelta(days=14)

SEEN = (
    "In de kring blijft Noah zitten zolang juf hem aankijkt en zijn wijzen benoemt. Thuis "
    "aan het aanrecht werkt hij lang geconcentreerd mee als er één taak tegelijk is."
)
NEED = (
    "Noah heeft een vaste plek dicht bij juf nodig, korte beurten en een teken dat zijn "
    "initiatief gezien is: in de klas en thuis aan tafel."
)
ITEM_SEEN = "Noah gaat verzitten zodra juf van de kring wegloopt naar het bord."
ITEM_NEED = "Noah heeft nodig dat juf in zijn buurt blijft als de kring van opdracht wisselt."
# (text, party, owner: a key of app.demo.PEOPLE, due: days after the review, the first two
# by the follow-up)
AGREEMENTS = [
    ("Noah krijgt in de kring een vaste plek naast juf Fatima.", "school", "teacher", 14),
    ("Thuis aan tafel benoemen we wat Noah aanwijst, zoals juf in de kring doet.", "home",
     "parent", 14),
    ("Sanne filmt over twee weken opnieuw de kring, om samen terug te kijken.", "coach",
     "coach", 21),
]  # fmt: skip


def has_meetings(session: DbSession, child: Child) -> bool:
    """True when ``child`` has any meeting (then the demo adds none)."""
    found = session.scalar(select(Meeting.id).where(Meeting.child_id == child.id).limit(1))
    return found is not None


def add_meetings(session: DbSession, child: Child, users: dict[str, User]) -> None:
    """Make Noah's finalised shared review and its planned follow-up; commits. Needs a
    request context (mails, the summary's PDF, audit details) and the demo footage's two
    fragments shared with the circle (one from school, one from home).

    Raises RuntimeError when a demo person is not in the circle or a fragment is missing,
    and what the meeting services raise.
    """
    coach = _seat(users["coach"], child)
    invitees = frozenset(users[key].id for key in ("coach", "teacher", "parent", "parent2"))
    follow_up_day = _weekday(local_date() + timedelta(days=FOLLOW_UP_DAYS))
    held = follow_up_day - HELD_BEFORE_FOLLOW_UP
    tomorrow = local_date() + timedelta(days=1)
    review = planning.plan_meeting(session, coach, _planned(child, invitees, tomorrow))
    school, home = _shared_fragments(session, child)
    items = [
        agenda.ItemData(
            f"clip-{school.id}", None, "Let op waar juf staat als Noah gaat verzitten."
        ),
        agenda.ItemData(f"clip-{home.id}", f"clip-{school.id}", "Vergelijk: één taak tegelijk."),
    ]
    added = [agenda.add_item(session, coach, review, item) for item in items]
    session.flush()
    # Demo data only: the planning service refuses a meeting in the past (rightly), so the
    # review is planned ahead and then moved back to its day in the past, to show a held and
    # finalised meeting. A plain UPDATE of the two time columns, past the mapped class (its
    # version counter and calendar sequence describe changes people made).
    table: Table = Meeting.__table__  # type: ignore[assignment]
    session.execute(
        update(table)
        .where(table.c.id == review.id)
        .values(
            starts_at=planning.local_instant(held, START),
            ends_at=planning.local_instant(held, END),
        )
    )
    session.refresh(review)
    for text, party, owner, due in AGREEMENTS:
        data = agreements.AgreementData(text, party, users[owner].id, held + timedelta(days=due))
        agreements.add_agreement(session, coach, review, data)
    # What the group wrote in meeting mode about the first item (the support plan's demo
    # draft adopts this need).
    notes.save_notes(
        session, coach, review, added[0], notes.NotesData(ITEM_SEEN, ITEM_NEED, None), version=0
    )
    attended = frozenset(users[key].id for key in ("coach", "teacher", "parent"))
    summary = summaries.finalise(
        session,
        coach,
        review,
        summaries.FinaliseData(SEEN, NEED, attended),
        version=review.version,
    )
    peter = _seat(users["parent"], child)
    acknowledgement.acknowledge(
        session,
        peter,
        queries.meeting_or_404(session, peter, review.id),
        summary,
        acknowledgement.AckData(agrees=True, comment="", typed_name=users["parent"].name),
        opened=OpenedForm(utcnow() - timedelta(minutes=3), secrets.token_hex(16), {}),
        evidence=Evidence("127.0.0.1", "Beeldbrug demo data", SignInMethod.PASSWORD),
    )
    planning.plan_meeting(session, coach, _planned(child, invitees, follow_up_day))
    session.commit()


def _weekday(day: date) -> date:
    """``day``, or the Friday before it when it falls in a weekend (no school then)."""
    return day - timedelta(days=max(0, day.weekday() - 4))


def _planned(child: Child, invitees: frozenset[int], day: date) -> planning.MeetingData:
    return planning.MeetingData(
        kind=MeetingKind.SHARED_REVIEW,
        day=day,
        start=START,
        end=END,
        place=PLACE,
        guiding_question=child.guiding_question,
        invitee_ids=invitees,
    )


def _shared_fragments(session: DbSession, child: Child) -> tuple[Clip, Clip]:
    """The school and the home fragment of ``child`` that the circle sees."""
    shared = session.scalars(
        select(Clip)
        .where(
            Clip.child_id == child.id,
            Clip.parent_id.is_not(None),
            Clip.audience == Audience.CIRCLE,
        )
        .order_by(Clip.id)
    ).all()
    by_source = {clip.source: clip for clip in shared}
    if Source.SCHOOL not in by_source or Source.HOME not in by_source:
        raise RuntimeError("the demo meetings need a school and a home fragment of Noah")
    return by_source[Source.SCHOOL], by_source[Source.HOME]


def _seat(user: User, child: Child) -> policy.Seat:
    """``user``'s seat in the demo child's circle (the demo made them a member)."""
    seat = policy.seat_for(user, child)
    if seat is None:
        raise RuntimeError(f"{user.name} is not in the circle of the demo child")
    return seat
