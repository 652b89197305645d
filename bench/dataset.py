"""The benchmark dataset: bulk rows added to the demo school, through SQLAlchemy Core.

On top of the demo school (``app.demo.load_demo``) it adds the children (each in a circle of
the demo coach, a teacher and a parent from small pools of accounts, with the parent's signed
consent), ready clips (some of them fragments; every web version is the demo's own file),
moments by the three (the first of each clip under one of a few labels of the school's own,
shown to the whole circle), and a playback or two of every clip in the audit log (a valid
hash chain), so "who watched" has rows. Noah, the demo parent's child, gets the most clips.

    with db.engine.begin() as conn:
        made = build(conn, children=1000, clips=20000, moments=200000)
    made.playbacks  # how many clip_played events it logged

Not a benchmark itself (no ``main``): ``python -m bench`` skips it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

BATCH = 5000  # rows per INSERT
COACH = "coach@regenboog.example"
PARENT = "ouder.bakker@example.nl"
TEACHER = "juf.fatima@regenboog.example"
LABELS = 5  # labels of the school's own, per build


@dataclass(frozen=True)
class Dataset:
    """What one ``build`` added: the new children's and clips' ids, and the playbacks logged."""

    children: list[int]
    clips: list[int]
    playbacks: int


def build(conn: Any, children: int, clips: int, moments: int, seed: int = 5) -> Dataset:
    """Add ``children``, ``clips`` and ``moments`` (and the rows they hang on) to the demo school
    on ``conn``, in batches, inside the caller's transaction; the caller commits. May be called
    again on the same database to grow it: new ids follow the highest ones there."""
    from sqlalchemy import func, insert, select

    from app.circle.audience import Audience
    from app.circle.models import Child, Membership, Role, User
    from app.clips.models import Clip, ClipState, Moment, MomentTag, Source, Tag
    from app.consent.models import ConsentRecord
    from app.core.audit import AuditChain, AuditEvent, event_hash
    from app.core.db import utcnow

    rng = random.Random(seed)
    now = utcnow()
    users, kids, members = User.__table__, Child.__table__, Membership.__table__
    records, clip_t, moment_t = ConsentRecord.__table__, Clip.__table__, Moment.__table__
    events, chain = AuditEvent.__table__, AuditChain.__table__

    def add(table: Any, rows: list[dict[str, Any]]) -> None:
        for i in range(0, len(rows), BATCH):
            conn.execute(insert(table), rows[i : i + BATCH])

    def next_id(table: Any) -> int:
        return (conn.scalar(select(func.max(table.c.id))) or 0) + 1

    coach = conn.execute(select(users).where(users.c.email == COACH)).one()
    peter = conn.execute(select(users).where(users.c.email == PARENT)).one()
    noah = conn.execute(select(kids).where(kids.c.name == "Noah Bakker")).one()
    signed = (
        conn.execute(
            select(records).where(records.c.child_id == noah.id, records.c.signer_id == peter.id)
        )
        .one()
        ._asdict()
    )
    demo_clip = conn.execute(
        select(clip_t).where(clip_t.c.child_id == noah.id, clip_t.c.web_key.is_not(None))
    ).first()
    teacher_ids = list(range(next_id(users), next_id(users) + 20))
    parent_ids = list(range(teacher_ids[-1] + 1, teacher_ids[-1] + 1 + max(1, children // 4)))
    add(
        users,
        [
            {
                "id": uid,
                "email": f"bench{uid}@{'school' if staff else 'home'}.example",
                "name": f"{'Leerkracht' if staff else 'Ouder'} {uid}",
                "password_hash": coach.password_hash,
                "preferred_language": "nl",
                "is_staff": staff,
                "is_school_admin": False,
                "is_deactivated": False,
                "school_id": coach.school_id if staff else None,
                "created_at": now,
            }
            for uid, staff in [(u, True) for u in teacher_ids] + [(u, False) for u in parent_ids]
        ],
    )
    first = next_id(kids)
    child_ids = list(range(first, first + children))
    today, since = now.date(), now - timedelta(days=60)
    add(
        kids,
        [
            {
                "id": cid,
                "school_id": noah.school_id,
                "name": f"Kind {cid:05d}",
                "date_of_birth": today.replace(year=today.year - 4 - cid % 8, day=1),
                "group_name": f"groep {1 + cid % 8}",
                "guiding_question": "Wat heeft dit kind nodig om mee te doen in de kring? " * 3,
                "started_on": today - timedelta(days=60),
                "created_by_id": coach.id,
                "created_at": since,
            }
            for cid in child_ids
        ],
    )
    parent_of = {cid: parent_ids[i % len(parent_ids)] for i, cid in enumerate(child_ids)}
    teacher_of = {cid: teacher_ids[cid % len(teacher_ids)] for cid in child_ids}
    add(
        members,
        [
            {
                "child_id": cid,
                "user_id": uid,
                "role": role,
                "active_from": since,
            }
            for cid in child_ids
            for uid, role in (
                (coach.id, Role.COACH),
                (teacher_of[cid], Role.TEACHER),
                (parent_of[cid], Role.PARENT),
            )
        ],
    )
    base = {k: v for k, v in signed.items() if k not in {"id", "child_id", "signer_id"}}
    add(
        records,
        [
            {**base, "child_id": cid, "signer_id": parent_of[cid], "form_nonce": f"bench-{cid}"}
            for cid in child_ids
        ],
    )
    # Noah (the demo parent's child) gets three times his share; the rest go at random.
    parent_of[noah.id] = peter.id
    teacher_of[noah.id] = conn.scalar(select(users.c.id).where(users.c.email == TEACHER))
    owners = [noah.id] * (3 * clips // max(children, 1)) + [
        rng.choice(child_ids) if child_ids else noah.id for _ in range(clips)
    ]
    owners = owners[:clips]
    first = next_id(clip_t)
    clip_rows, recordings, durations = [], {}, {}
    for i, cid in enumerate(owners):
        clip_id, duration = first + i, rng.uniform(60, 600)
        parent = recordings.get(cid) if rng.random() < 0.1 else None
        home = parent is None and rng.random() < 0.15
        clip_rows.append(
            {
                "id": clip_id,
                "child_id": cid,
                "parent_id": parent,
                "source": Source.HOME if home else Source.SCHOOL,
                "uploader_id": parent_of[cid] if home else coach.id,
                "title": f"Opname {i}",
                "notes": "",
                "recorded_on": today - timedelta(days=rng.randrange(60)),
                "audience": rng.choice([Audience.CIRCLE, Audience.CIRCLE, Audience.TEAM]),
                "shows_others": False,
                "start_s": 5.0 if parent else None,
                "end_s": 25.0 if parent else None,
                "state": ClipState.READY,
                "progress": 100,
                "attempts": 0,
                "original_name": "",
                "web_key": demo_clip.web_key,
                "web_size": demo_clip.web_size,
                "web_sha256": demo_clip.web_sha256,
                "poster_key": demo_clip.poster_key,
                "duration_s": 20.0 if parent else duration,
                "width": 640,
                "height": 360,
                "created_at": since + timedelta(seconds=i),
                "ready_at": since + timedelta(seconds=i + 60),
            }
        )
        durations[clip_id] = clip_rows[-1]["duration_s"]
        if parent is None:
            recordings[cid] = clip_id
    add(clip_t, clip_rows)
    tags = list(Tag)
    first = next_id(MomentTag.__table__)
    labels = list(range(first, first + LABELS))
    add(
        MomentTag.__table__,
        [
            {"id": i, "school_id": noah.school_id, "label": f"Eigen label {i}", "created_at": now}
            for i in labels
        ],
    )
    marked, labelled = [], set()  # the first moment of each clip gets a label of the school's
    for clip in (rng.choice(clip_rows) for _ in range(moments if clip_rows else 0)):
        own = clip["id"] not in labelled
        labelled.add(clip["id"])
        marked.append(
            {
                "child_id": clip["child_id"],
                "clip_id": clip["id"],
                "author_id": rng.choice(
                    [coach.id, teacher_of.get(clip["child_id"]), parent_of[clip["child_id"]]]
                ),
                "start_s": rng.uniform(0, durations[clip["id"]]),
                "end_s": None,
                "tag": None if own else rng.choice(tags),
                "custom_tag_id": rng.choice(labels) if own else None,
                "text": "Kijkt de juf aan en wacht op zijn beurt.",
                "audience": Audience.CIRCLE
                if own
                else rng.choice([Audience.CIRCLE, Audience.TEAM]),
                "created_at": now,
            }
        )
    add(moment_t, marked)
    head = conn.execute(select(chain).where(chain.c.id == 1)).one()
    last, played = head.last_hash, []
    for clip in clip_rows:
        for viewer in [coach.id] + ([parent_of[clip["child_id"]]] if rng.random() < 0.5 else []):
            event = SimpleNamespace(
                prev_hash=last,
                created_at=clip["ready_at"] + timedelta(minutes=len(played) % 50),
                actor_id=viewer,
                action="clip_played",
                child_id=clip["child_id"],
                object_type="Clip",
                object_id=clip["id"],
                data='{"fragment":%s}' % ("true" if clip["parent_id"] else "false"),
                personal_digest=None,
            )
            last = event.hash = event_hash(event)  # type: ignore[attr-defined]
            played.append(vars(event))
    add(events, played)
    conn.execute(chain.update().values(length=head.length + len(played), last_hash=last))
    return Dataset(
        children=child_ids,
        clips=[clip["id"] for clip in clip_rows],
        playbacks=len(played),
    )
