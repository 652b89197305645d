"""Budget (DESIGN.md §6): page server time, p95, at 16 connections, on a dataset of 1,000
children, 20,000 clips and 200,000 moments, ≤ 50 ms; the number of SQL queries per page does
not grow with the data. Meetings are not in the portal yet: they are left out of the dataset.

Builds the demo school in a scratch instance (SQLite, migrated) and adds to it, in bulk through
SQLAlchemy Core: the children (each in a circle of the demo coach, a teacher and a parent from
small pools of accounts, with the parent's signed consent), ready clips (some of them
fragments; every web version is the demo's own file), moments by the three, and a playback or
two of every clip in the audit log (a valid hash chain), so "who watched" has rows. Noah, the
demo parent's child, gets the most clips. Counts the SQL statements of each page in-process
(Flask test client) on a small dataset and again on the large one, then starts gunicorn with
the project's gunicorn.conf.py on loopback and times each page over 16 signed-in keep-alive
connections at once (the client's response time on loopback), then alone on one connection,
beside a static file as the floor of the machine.

    python -m bench pages            # or: python -m bench.pages --children 100 --requests 160
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bench.machine import machine_info
from bench.streaming import Visitor, free_port, p95, running

BIN = Path(sys.executable).parent
BUDGET_MS = 50.0
CONNECTIONS = 16
BATCH = 5000
# The small dataset, where queries are first counted: the demo school and a handful more, so
# that the demo parent sees a clip with moments by several authors.
SMALL = (2, 8, 40)
SINGLE = 32  # requests per page on one connection alone
COACH = "coach@regenboog.example"
PARENT = "ouder.bakker@example.nl"
TEACHER = "juf.fatima@regenboog.example"
STATIC = "/static/img/logo.svg"


@dataclass(frozen=True)
class Page:
    name: str
    who: str  # the e-mail address of the account that opens it
    path: str


def prepare(scratch: Path) -> dict[str, str]:
    """The scratch instance, migrated, with the demo school; returns the app's environment."""
    env = {
        **os.environ,
        "BEELDBRUG_ENV": "development",
        "BEELDBRUG_INSTANCE": str(scratch),
        "DATABASE_URL": f"sqlite:///{scratch / 'bench.db'}",
        "JOBS_URL": f"sqlite:///{scratch / 'jobs.db'}",
        "MEDIA_ROOT": str(scratch / "media"),
        "MAIL_BACKEND": "console",
        "WEB_THREADS": os.environ.get("WEB_THREADS", "8"),
    }
    os.environ.update(env)
    from alembic import command

    from app.cli import alembic_config

    command.upgrade(alembic_config(env["DATABASE_URL"]), "head")
    return env


def generate(conn: Any, children: int, clips: int, moments: int, seed: int = 5) -> int:
    """Add the large dataset to the demo school on ``conn`` (one transaction), in batches;
    returns how many playbacks it logged."""
    from sqlalchemy import func, insert, select

    from app.auth.models import User
    from app.clips.models import Clip, ClipState, Moment, Source, Tag
    from app.consent.models import ConsentRecord
    from app.core.audience import Audience
    from app.core.audit import AuditChain, AuditEvent, event_hash
    from app.core.db import utcnow
    from app.people.models import Child, Membership, Role

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
    add(
        moment_t,
        [
            {
                "child_id": clip["child_id"],
                "clip_id": clip["id"],
                "author_id": rng.choice(
                    [coach.id, teacher_of.get(clip["child_id"]), parent_of[clip["child_id"]]]
                ),
                "start_s": rng.uniform(0, durations[clip["id"]]),
                "end_s": None,
                "tag": rng.choice(tags),
                "text": "Kijkt de juf aan en wacht op zijn beurt.",
                "audience": rng.choice([Audience.CIRCLE, Audience.TEAM]),
                "created_at": now,
            }
            for clip in (rng.choice(clip_rows) for _ in range(moments if clip_rows else 0))
        ],
    )
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
    return len(played)


def query_counts(app: Any, pages: list[Page], password: str) -> dict[str, int]:
    """How many SQL statements each page runs, in-process, after signing in as its account."""
    from sqlalchemy import event

    from app.core.db import db

    counted = [0]

    def count(*_args: Any) -> None:
        counted[0] += 1

    result = {}
    clients: dict[str, Any] = {}
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for page in pages:
            if page.who not in clients:
                client = clients[page.who] = app.test_client()
                form = client.get("/sign-in").get_data(as_text=True)
                token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
                data = {"email": page.who, "password": password}
                answer = client.post("/sign-in", data={**data, "csrf_token": token.group(1)})
                if answer.status_code != 302:
                    raise RuntimeError(f"sign-in as {page.who} refused in-process")
            clients[page.who].get(page.path)  # the first request of a kind may warm caches
            counted[0] = 0
            status = clients[page.who].get(page.path).status_code
            if status != 200:
                raise RuntimeError(f"{page.path} as {page.who}: {status}")
            result[page.name] = counted[0]
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return result


def pages_of(conn: Any) -> list[Page]:
    """The pages measured: the coach's and the demo parent's, for the child with most clips
    and that child's clip with most moments (the demo parent's child, Noah, by construction)."""
    from sqlalchemy import func, or_, select, true

    from app.auth.models import User
    from app.clips.models import Clip, Moment
    from app.core.audience import Audience

    child_id = conn.execute(
        select(Clip.child_id).group_by(Clip.child_id).order_by(func.count().desc()).limit(1)
    ).scalar_one()

    def busiest_clip(seen: Any) -> int:
        # A recording with the most moments, of those the person sees.
        return conn.execute(
            select(Clip.id)
            .outerjoin(Moment, Moment.clip_id == Clip.id)
            .where(Clip.child_id == child_id, Clip.parent_id.is_(None), seen)
            .group_by(Clip.id)
            .order_by(func.count(Moment.id).desc(), Clip.id)
            .limit(1)
        ).scalar_one()

    parent_id = conn.execute(select(User.id).where(User.email == PARENT)).scalar_one()

    child = f"/children/{child_id}"
    pages = []
    for role, who, seen in (
        ("coach", COACH, true()),
        ("parent", PARENT, or_(Clip.audience == Audience.CIRCLE, Clip.uploader_id == parent_id)),
    ):
        paths = [
            ("children list", "/"),
            ("child's page", child),
            ("clip list", f"{child}/clips"),
            ("clip with moments", f"{child}/clips/{busiest_clip(seen)}"),
            ("who watched", f"{child}/clips/watched"),
        ]
        pages += [Page(f"{name} ({role})", who, path) for name, path in paths]
    return pages


def timed(visitor: Visitor, path: str) -> float:
    """Milliseconds of one whole GET (reconnecting first if the server closed an idle one)."""
    for attempt in range(2):
        start = time.perf_counter()
        try:
            visitor.fetch(path)
            return (time.perf_counter() - start) * 1000
        except (http.client.RemoteDisconnected, ConnectionError):
            visitor.connection.close()
            if attempt:
                raise
    raise AssertionError("unreachable")


def load(visitors: list[Visitor], path: str, requests: int) -> list[float]:
    """``requests`` GETs of ``path``, spread over the visitors, all sending at once."""
    each = max(1, requests // len(visitors))

    def one(visitor: Visitor) -> list[float]:
        return [timed(visitor, path) for _ in range(each)]

    with ThreadPoolExecutor(len(visitors)) as pool:
        return [ms for times in pool.map(one, visitors) for ms in times]


def serve(
    env: dict[str, str], pages: list[Page], password: str, requests: int, processes: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Time every page, then the static file, over CONNECTIONS keep-alive connections at once;
    and each alone, one request at a time on one connection (the page's own cost, no queue)."""
    port = free_port()
    gunicorn = [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", "app:create_app()"]
    served = {**env, "BIND": f"127.0.0.1:{port}", "WEB_PROCESSES": str(processes)}
    loaded: dict[str, list[float]] = defaultdict(list)
    alone: dict[str, list[float]] = defaultdict(list)
    with running(gunicorn, served, port, "app"):
        for who in dict.fromkeys(page.who for page in pages):
            visitors = [Visitor(port) for _ in range(CONNECTIONS)]
            for visitor in visitors:
                visitor.sign_in(who, password)
            mine = [page for page in pages if page.who == who] + [Page("static", who, STATIC)]
            for page in mine:  # warm up: templates compiled, caches filled
                load(visitors, page.path, CONNECTIONS)
            for page in mine:
                loaded[page.name] += load(visitors, page.path, requests)
                alone[page.name] += [timed(visitors[0], page.path) for _ in range(SINGLE)]
    return loaded, alone


def run(children: int, clips: int, moments: int, requests: int, processes: int) -> dict[str, Any]:
    scratch = Path(tempfile.mkdtemp(prefix="beeldbrug-bench-pages-"))
    load_avg = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    try:
        env = prepare(scratch)
        from app import create_app
        from app.core.db import db
        from app.demo import DEMO_PASSWORD, load_demo

        app = create_app()
        with app.app_context():
            load_demo()
            db.session.remove()  # outside a request every transaction holds the write lock
            with db.engine.begin() as conn:
                played = generate(conn, *SMALL)
            with db.engine.connect() as conn:
                pages = pages_of(conn)
        # Outside an app context: each test request has its own, as under gunicorn.
        small = query_counts(app, pages, DEMO_PASSWORD)
        start = time.perf_counter()
        with app.app_context(), db.engine.begin() as conn:
            rest = [max(0, n - s) for n, s in zip((children, clips, moments), SMALL, strict=True)]
            played += generate(conn, *rest)
        generated_s = time.perf_counter() - start
        with app.app_context(), db.engine.connect() as conn:
            pages = pages_of(conn)
        large = query_counts(app, pages, DEMO_PASSWORD)
        db.engine.dispose()
        start = time.perf_counter()
        times, alone = serve(env, pages, DEMO_PASSWORD, requests, processes)
        return {
            "pages": pages,
            "small": small,
            "large": large,
            "times": times,
            "alone": alone,
            "played": played,
            "generated_s": generated_s,
            "served_s": time.perf_counter() - start,
            "load": load_avg,
        }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Print the figures; exit 1 when a page misses its budget or its queries grow."""
    parser = argparse.ArgumentParser(prog="python -m bench.pages")
    parser.add_argument("--children", type=int, default=1000)
    parser.add_argument("--clips", type=int, default=20000)
    parser.add_argument("--moments", type=int, default=200000)
    parser.add_argument("--requests", type=int, default=320, help="per page, all connections")
    parser.add_argument(
        "--processes", type=int, default=1, help="gunicorn workers (WEB_PROCESSES; default 1)"
    )
    args = parser.parse_args(argv)
    r = run(args.children, args.clips, args.moments, args.requests, args.processes)
    load_after = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {machine_info()}; load average before the run {r['load']}, after {load_after}")
    print(
        f"dataset: the demo school + {args.children} children, {args.clips} clips, "
        f"{args.moments} moments, {r['played']} playbacks (made in {r['generated_s']:.1f} s); "
        "meetings are not in the portal yet and are left out"
    )
    print(
        "SQL queries per page counted in-process on a small dataset (the demo school + "
        f"{SMALL[0]} children, {SMALL[1]} clips, {SMALL[2]} moments) and again on the large"
    )
    print(
        f"gunicorn.conf.py with {args.processes} process(es) x {os.environ['WEB_THREADS']} "
        f"threads; {args.requests} requests a page over {CONNECTIONS} keep-alive connections "
        f"at once, then {SINGLE} on one connection alone; times are responses seen by the client"
    )
    ok = True
    for page in [*r["pages"], Page("static", "", STATIC)]:
        ms, alone = r["times"][page.name], r["alone"][page.name]
        line = (
            f"{page.name:27} p95 {p95(ms):6.1f} ms = {p95(ms) / BUDGET_MS:5.2f} x budget "
            f"(median {statistics.median(ms):6.1f}); alone: median "
            f"{statistics.median(alone):5.1f}, p95 {p95(alone):5.1f}"
        )
        if page.name == "static":
            print(f"{line} (the machine's floor: a static file, no budget)")
            continue
        small, large = r["small"][page.name], r["large"][page.name]
        fast, flat = p95(ms) <= BUDGET_MS, large <= small
        ok &= fast and flat
        print(
            f"{line}: {'OK' if fast else 'OVER BUDGET'}; SQL queries {small} on the small data, "
            f"{large} on the large: {'same' if large == small else 'fewer' if flat else 'GROWS'}"
        )
    print(f"budget: p95 ≤ {BUDGET_MS:.0f} ms; the timed part took {r['served_s']:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
