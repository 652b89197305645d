"""The meetings of the benchmark dataset: bulk rows through SQLAlchemy Core, on top of
``bench.dataset`` (children, circles, clips, moments).

Meetings of every state (planned ahead; held, finalised or cancelled behind), each with its
child's coach, teacher and parent invited (the parent to most), agenda items pointing at the
child's fragments (some at a moment, some paired), contributions, the group's notes per item
in held and finalised meetings, agreements made in them and reviewed in the child's later
meetings (the agreement's status its latest review's), and a summary of most finalised
meetings (some with an addendum; no sealed PDF, which the pages do not need). Noah, the demo
parent's child, gets a fiftieth of the meetings and their agreements, and one showcase
meeting, held yesterday, whose agenda, agreements and reviews grow with the dataset.

    with db.engine.begin() as conn:
        made = build_meetings(conn, meetings=5000, agreements=20000)

Not a benchmark itself (no ``main``): ``python -m bench`` skips it.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bench.dataset import BATCH, COACH, PARENT

NOAH_SHARE = 50  # Noah gets one meeting in this many
SHOWCASE_MAX = 12  # agenda items and agreements made in Noah's showcase meeting


@dataclass(frozen=True)
class Meetings:
    """What one ``build_meetings`` added."""

    meetings: int
    agreements: int
    reviews: int
    items: int
    summaries: int


def build_meetings(conn: Any, meetings: int, agreements: int, seed: int = 7) -> Meetings:
    """Add ``meetings`` meetings and about ``agreements`` agreements (with the rows they hang
    on) to the children already in the database on ``conn``, inside the caller's transaction.
    May be called again to grow the dataset: new ids follow the highest ones there."""
    from sqlalchemy import func, insert, select

    from app.circle.models import Child, Membership, Role, User
    from app.clips.models import Clip, Moment
    from app.core.db import utcnow
    from app.meetings.models import (
        AgendaItem,
        ItemNotes,
        Meeting,
        MeetingContribution,
        MeetingInvitee,
        MeetingKind,
        MeetingState,
    )
    from app.meetings.models_followup import (
        Agreement,
        AgreementReview,
        AgreementStatus,
        Party,
    )
    from app.meetings.models_summary import MeetingSummary

    rng = random.Random(seed)
    now = utcnow()

    def add(model: Any, rows: list[dict[str, Any]]) -> None:
        for i in range(0, len(rows), BATCH):
            conn.execute(insert(model.__table__), rows[i : i + BATCH])

    def next_id(model: Any) -> int:
        return (conn.scalar(select(func.max(model.id))) or 0) + 1

    coach_id = conn.scalar(select(User.id).where(User.email == COACH))
    peter_id = conn.scalar(select(User.id).where(User.email == PARENT))
    noah_id = conn.scalar(select(Child.id).where(Child.name == "Noah Bakker"))
    circle: dict[int, dict[Role, int]] = defaultdict(dict)
    for child_id, user_id, role in conn.execute(
        select(Membership.child_id, Membership.user_id, Membership.role).where(
            Membership.active_until.is_(None)
        )
    ):
        circle[child_id].setdefault(role, user_id)
    circle[noah_id][Role.PARENT] = peter_id
    clips: dict[int, list[int]] = defaultdict(list)
    for clip_id, child_id in conn.execute(select(Clip.id, Clip.child_id)):
        clips[child_id].append(clip_id)
    moment_of = dict(
        conn.execute(select(Moment.clip_id, func.min(Moment.id)).group_by(Moment.clip_id)).all()
    )
    # The showcase's items cite moments with labels of the school's own where there are.
    labelled_of = dict(
        conn.execute(
            select(Moment.clip_id, func.min(Moment.id))
            .where(Moment.custom_tag_id.is_not(None))
            .group_by(Moment.clip_id)
        ).all()
    )
    children = sorted(c for c in circle if Role.COACH in circle[c])

    # Who each meeting is about: Noah his share (at least two), the rest at random.
    noah_n = min(meetings, max(2, meetings // NOAH_SHARE))
    owners = [noah_id] * noah_n + [rng.choice(children) for _ in range(meetings - noah_n)]
    showcase_size = max(1, min(SHOWCASE_MAX, meetings // 400))

    first = next_id(Meeting)
    m_rows: list[dict[str, Any]] = []
    for i, child_id in enumerate(owners):
        # Noah's two showcases: one held yesterday, one finalised a week before.
        days = (-1, -8)[i] if i < 2 else rng.randrange(-400, 60)
        starts = (now + timedelta(days=days)).replace(hour=9, minute=0, second=0, microsecond=0)
        if i < 2:
            state = (MeetingState.HELD, MeetingState.FINALISED)[i]
        elif days >= 0:
            state = MeetingState.CANCELLED if rng.random() < 0.1 else MeetingState.PLANNED
        else:
            state = rng.choices(
                [MeetingState.FINALISED, MeetingState.HELD, MeetingState.CANCELLED], [7, 2, 1]
            )[0]
        m_rows.append(
            {
                "id": first + i,
                "child_id": child_id,
                "kind": rng.choice(list(MeetingKind)),
                "state": state,
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=1),
                "place": f"Lokaal {1 + i % 20}",
                "guiding_question": "Wat heeft dit kind nodig om mee te doen in de kring?",
                "organizer_id": coach_id,
                "ical_uid": f"meeting-{uuid.UUID(int=rng.getrandbits(128)).hex}@bench",
                "ical_sequence": 0,
                "created_at": starts - timedelta(days=14),
                "cancelled_at": starts - timedelta(days=1)
                if state is MeetingState.CANCELLED
                else None,
                "version": 1,
            }
        )
    add(Meeting, m_rows)
    # Agreements per meeting that takes any (a cancelled one does not), the showcases aside.
    taking = sum(1 for m in m_rows[2:] if m["state"] is not MeetingState.CANCELLED)
    per_meeting = max(0, agreements - 2 * showcase_size) / max(taking, 1)

    invitees, items, notes, contributions = [], [], [], []
    item_id, notes_id = next_id(AgendaItem), next_id(ItemNotes)
    for m in m_rows:
        child_id, showcase = m["child_id"], m["id"] in (first, first + 1)
        people = circle[child_id]
        parent = people.get(Role.PARENT)
        asked = [people[Role.COACH], people.get(Role.TEACHER)]
        if parent is not None and (showcase or rng.random() < 0.8):
            asked.append(parent)
        invitees += [
            {"meeting_id": m["id"], "user_id": uid, "invited_at": m["created_at"]}
            for uid in dict.fromkeys(a for a in asked if a is not None)
        ]
        mine = clips.get(child_id, [])
        count = showcase_size if showcase else rng.randint(1, 4)
        for position, clip_id in enumerate(rng.sample(mine, min(count, len(mine)))):
            pair = rng.choice(mine) if rng.random() < 0.2 else None
            cited = moment_of.get(clip_id) if rng.random() < 0.3 else None
            if showcase:
                cited = labelled_of.get(clip_id, moment_of.get(clip_id))
            items.append(
                {
                    "id": item_id,
                    "meeting_id": m["id"],
                    "child_id": child_id,
                    "position": position,
                    "clip_id": clip_id,
                    "moment_id": cited,
                    "pair_clip_id": pair if pair != clip_id else None,
                    "prep_note": "Let op hoe hij de beurt afwacht.",
                    "created_at": m["created_at"],
                    "version": 1,
                }
            )
            if m["state"] in (MeetingState.HELD, MeetingState.FINALISED):
                notes.append(
                    {
                        "id": notes_id,
                        "item_id": item_id,
                        "meeting_id": m["id"],
                        "child_id": child_id,
                        "seen": "Hij kijkt eerst naar de juf en wacht dan.",
                        "need": "Een vast teken dat zijn beurt komt.",
                        "need_moment_id": cited or moment_of.get(clip_id),
                        "updated_at": m["starts_at"],
                        "updated_by_id": people[Role.COACH],
                        "version": 1,
                    }
                )
                notes_id += 1
            item_id += 1
        for author in asked[1:] if showcase or rng.random() < 0.5 else []:
            if author is not None:
                contributions.append(
                    {
                        "meeting_id": m["id"],
                        "child_id": child_id,
                        "author_id": author,
                        "text": "Thuis wacht hij ook op zijn beurt aan tafel.",
                        "created_at": m["created_at"] + timedelta(days=1),
                    }
                )
    add(MeetingInvitee, invitees)
    add(AgendaItem, items)
    add(ItemNotes, notes)
    add(MeetingContribution, contributions)

    # Agreements, child by child in time order: each meeting not cancelled makes some, and
    # each later one reviews those still open (a planned one not yet).
    by_child: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for m in m_rows:
        by_child[m["child_id"]].append(m)
    made, reviews = [], []
    agreement_id = next_id(Agreement)
    reviewed = [AgreementStatus.DONE, AgreementStatus.PARTLY, AgreementStatus.NOT_DONE]
    for child_id, held in by_child.items():
        people = circle[child_id]
        open_ones: list[dict[str, Any]] = []
        for m in sorted(held, key=lambda m: (m["starts_at"], m["id"])):
            if m["state"] is MeetingState.CANCELLED:
                continue
            showcase = m["id"] in (first, first + 1)
            if m["state"] is not MeetingState.PLANNED:
                for a in list(open_ones):
                    status = rng.choice([*reviewed, AgreementStatus.DONE, AgreementStatus.DROPPED])
                    a["status"] = status
                    reviews.append(
                        {
                            "agreement_id": a["id"],
                            "meeting_id": m["id"],
                            "child_id": child_id,
                            "status": status,
                            "note": "Gaat beter, nog even volhouden.",
                            "reviewed_by_id": people[Role.COACH],
                            "reviewed_at": m["starts_at"],
                        }
                    )
                    if status in (AgreementStatus.DONE, AgreementStatus.DROPPED):
                        open_ones.remove(a)
            count = showcase_size if showcase else _around(rng, per_meeting)
            for _ in range(count):
                party = rng.choice(list(Party))
                owner = {
                    Party.HOME: people.get(Role.PARENT),
                    Party.SCHOOL: people.get(Role.TEACHER),
                }
                made.append(
                    {
                        "id": agreement_id,
                        "child_id": child_id,
                        "meeting_id": m["id"],
                        "text": "Elke ochtend bij binnenkomst de dagplanning samen doorlopen.",
                        "party": party,
                        "owner_id": owner.get(party) or people[Role.COACH],
                        "due_on": (m["starts_at"] + timedelta(days=rng.randrange(7, 60))).date(),
                        "status": AgreementStatus.OPEN,
                        "created_by_id": people[Role.COACH],
                        "created_at": m["starts_at"],
                        "version": 1,
                    }
                )
                open_ones.append(made[-1])
                agreement_id += 1
    add(Agreement, made)
    add(AgreementReview, reviews)

    summaries = []
    summary_id = next_id(MeetingSummary)
    for m in m_rows:
        showcase = m["id"] == first + 1
        if m["state"] is not MeetingState.FINALISED or (not showcase and rng.random() < 0.2):
            continue
        addenda = max(1, showcase_size // 4) if showcase else int(rng.random() < 0.1)
        for number in range(1, 2 + addenda):
            summaries.append(
                {
                    "id": summary_id,
                    "meeting_id": m["id"],
                    "child_id": m["child_id"],
                    "number": number,
                    "seen": "Hij wacht zijn beurt af als hij weet wanneer die komt.",
                    "need": "Een vast teken en een plek dicht bij de juf.",
                    "attendees_json": "[]",
                    "addendum": "Aanvulling: ook op maandag." if number > 1 else "",
                    "replaces_id": summary_id - 1 if number > 1 else None,
                    "created_by_id": coach_id,
                    "created_at": m["ends_at"] + timedelta(days=number),
                }
            )
            summary_id += 1
    add(MeetingSummary, summaries)
    return Meetings(
        meetings=len(m_rows),
        agreements=len(made),
        reviews=len(reviews),
        items=len(items),
        summaries=len(summaries),
    )


def _around(rng: random.Random, mean: float) -> int:
    """A small whole number around ``mean`` (agreements per meeting)."""
    whole = int(mean)
    return (
        whole + (1 if rng.random() < mean - whole else 0) + rng.choice([-1, 0, 0, 1]) * (whole > 0)
    )
