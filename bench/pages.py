"""Budget (DESIGN.md §6), on a dataset of 1,000 children, 20,000 clips, 200,000 moments, 5,000
meetings and 20,000 agreements: every page alone (one connection) p95 ≤ 50 ms; at 16
connections every page's rate ≥ 33 % of a static file's rate through the same server in the
same run; the number of SQL queries per page does not grow with the data; lists are paged.

Builds the demo school in a scratch instance (SQLite, migrated) and adds the dataset to it
(``bench.dataset``: children, circles, consent, clips, moments, playbacks; Noah, the demo
parent's child, gets the most clips; ``bench.meeting_data``: meetings with invitees, agendas,
notes, contributions, agreements, reviews and summaries, Noah's share heavy). Counts the SQL
statements of each page in-process (Flask test client) on a small dataset and again on the
large one, then starts gunicorn with the project's gunicorn.conf.py on loopback and times each
page over 16 signed-in keep-alive connections at once (requests answered per second, and the
client's response times), then alone on one connection, beside a static file: the machine's
ceiling, against which each page's rate is a ratio (both measured in the same run, because
shared machines drift). A page is timed in ROUNDS rounds, each between two rounds of the
static file; a round's share is the page's rate against the mean of those two, taken
minutes apart at most, and the page's share is the median of its rounds' (a shared machine
also drifts within a run).

    python -m bench pages            # or: python -m bench.pages --children 100 --requests 160
    python -m bench.pages --counts-only   # the query counts alone, nothing timed
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.dataset import COACH, PARENT, build
from bench.machine import machine_info
from bench.meeting_data import build_meetings
from bench.meeting_pages import meeting_paths
from bench.streaming import Visitor, free_port, p95, running

BIN = Path(sys.executable).parent
BUDGET_MS = 50.0  # alone, p95
BUDGET_RATIO = 0.33  # at CONNECTIONS: a page's rate against the static file's
CONNECTIONS = 16
#: Each page's rate at CONNECTIONS is measured this many times, each time between two rounds
#: of the static file; its share is the median of the shares of its rounds.
ROUNDS = 5
# The small dataset, where queries are first counted: the demo school and a handful more, so
# that the demo parent sees a clip with moments by several authors.
SMALL = (2, 8, 40)
SMALL_MEETINGS = (4, 12)  # meetings, agreements
SINGLE = 32  # requests per page on one connection alone
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
    }  # WEB_THREADS as set, else gunicorn.conf.py's default
    os.environ.update(env)
    from alembic import command

    from app.cli import alembic_config

    command.upgrade(alembic_config(env["DATABASE_URL"]), "head")
    return env


def threads_of_gunicorn() -> str:
    """The threads per process gunicorn runs with: WEB_THREADS, else gunicorn.conf.py's."""
    if "WEB_THREADS" in os.environ:
        return os.environ["WEB_THREADS"]
    settings = (Path(__file__).resolve().parents[1] / "gunicorn.conf.py").read_text()
    found = re.search(r'"WEB_THREADS", "(\d+)"', settings)
    return found.group(1) if found else "?"


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
    and that child's clip with most moments (the demo parent's child, Noah, by construction),
    and that child's meeting pages (``bench.meeting_pages``)."""
    from sqlalchemy import func, or_, select, true

    from app.circle.audience import Audience
    from app.circle.models import User
    from app.clips.models import Clip, Moment

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
    coach_id = conn.execute(select(User.id).where(User.email == COACH)).scalar_one()

    child = f"/children/{child_id}"
    pages = []
    for role, who, user_id, seen in (
        ("coach", COACH, coach_id, true()),
        (
            "parent",
            PARENT,
            parent_id,
            or_(Clip.audience == Audience.CIRCLE, Clip.uploader_id == parent_id),
        ),
    ):
        paths = [
            ("children list", "/"),
            ("child's page", child),
            ("clip list", f"{child}/clips"),
            ("clip with moments", f"{child}/clips/{busiest_clip(seen)}"),
            ("who watched", f"{child}/clips/watched"),
            *meeting_paths(conn, child_id, user_id, coach=role == "coach"),
            ("timeline", f"{child}/timeline"),
        ]
        pages += [Page(f"{name} ({role})", who, path) for name, path in paths]
    # The coach's list further on, and searched: the costs paging and searching add.
    return [
        *pages[:1],
        Page("children list p.40 (coach)", COACH, "/?page=40"),
        Page("children searched (coach)", COACH, "/?q=kind%2000"),
        *pages[1:],
    ]


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


def load(visitors: list[Visitor], path: str, requests: int) -> tuple[list[float], float]:
    """``requests`` GETs of ``path``, spread over the visitors, all sending at once: the times
    of each, and the seconds from the first sent to the last answered."""
    each = max(1, requests // len(visitors))

    def one(visitor: Visitor) -> list[float]:
        return [timed(visitor, path) for _ in range(each)]

    with ThreadPoolExecutor(len(visitors)) as pool:
        start = time.perf_counter()
        times = [ms for times in pool.map(one, visitors) for ms in times]
        return times, time.perf_counter() - start


@dataclass
class Loaded:
    """One page's requests at CONNECTIONS at once, over however many rounds."""

    times: list[float]
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Requests answered per second."""
        return len(self.times) / self.seconds if self.seconds else 0.0


def measure(visitors: list[Visitor], page: Page, requests: int, loaded: dict[str, Loaded]) -> float:
    """One round of ``page`` at CONNECTIONS at once, added to ``loaded``: its rate."""
    times, seconds = load(visitors, page.path, requests)
    loaded[page.name].times += times
    loaded[page.name].seconds += seconds
    return len(times) / seconds


def serve(
    env: dict[str, str], pages: list[Page], password: str, requests: int, processes: int
) -> tuple[dict[str, Loaded], dict[str, list[float]], dict[str, list[float]]]:
    """Time every page over CONNECTIONS keep-alive connections at once, each between two
    rounds of the static file, ROUNDS times over (a page's share is its rate against the
    mean of the static file's two rounds beside it, one share a round); and each page alone,
    one request at a time on one connection (the page's own cost, no queue). Returns every
    page's requests at once (all rounds), its times alone, and its shares."""
    port = free_port()
    gunicorn = [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", "app:create_app()"]
    served = {**env, "BIND": f"127.0.0.1:{port}", "WEB_PROCESSES": str(processes)}
    loaded: dict[str, Loaded] = defaultdict(lambda: Loaded([]))
    alone: dict[str, list[float]] = defaultdict(list)
    shares: dict[str, list[float]] = defaultdict(list)
    with running(gunicorn, served, port, "app"):
        for who in dict.fromkeys(page.who for page in pages):
            visitors = [Visitor(port) for _ in range(CONNECTIONS)]
            for visitor in visitors:
                visitor.sign_in(who, password)
            static = Page("static", who, STATIC)
            mine = [page for page in pages if page.who == who]
            for page in [*mine, static]:  # warm up: templates compiled, caches filled
                load(visitors, page.path, CONNECTIONS)
            for _ in range(ROUNDS):
                before = measure(visitors, static, requests, loaded)
                for page in mine:
                    rate = measure(visitors, page, requests, loaded)
                    after = measure(visitors, static, requests, loaded)
                    shares[page.name].append(rate / ((before + after) / 2))
                    before = after
            for page in [*mine, static]:
                alone[page.name] += [timed(visitors[0], page.path) for _ in range(SINGLE)]
    return loaded, alone, shares


def run(
    sizes: tuple[int, int, int],
    meetings: tuple[int, int],
    requests: int,
    processes: int,
    *,
    serving: bool = True,
) -> dict[str, Any]:
    """Build the small dataset, count; grow it to ``sizes`` (children, clips, moments) and
    ``meetings`` (meetings, agreements), count again, and time the pages."""
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
                played = build(conn, *SMALL).playbacks
                build_meetings(conn, *SMALL_MEETINGS)
            with db.engine.connect() as conn:
                pages = pages_of(conn)
        # Outside an app context: each test request has its own, as under gunicorn.
        small = query_counts(app, pages, DEMO_PASSWORD)
        start = time.perf_counter()
        with app.app_context(), db.engine.begin() as conn:
            rest = [max(0, n - s) for n, s in zip(sizes, SMALL, strict=True)]
            played += build(conn, *rest).playbacks
            more = [max(0, n - s) for n, s in zip(meetings, SMALL_MEETINGS, strict=True)]
            made = build_meetings(conn, *more)
        generated_s = time.perf_counter() - start
        with app.app_context(), db.engine.connect() as conn:
            pages = pages_of(conn)
        large = query_counts(app, pages, DEMO_PASSWORD)
        db.engine.dispose()
        start = time.perf_counter()
        times, alone, shares = (
            serve(env, pages, DEMO_PASSWORD, requests, processes) if serving else ({}, {}, {})
        )
        return {
            "pages": pages,
            "small": small,
            "large": large,
            "times": times,
            "alone": alone,
            "shares": shares,
            "played": played,
            "made": made,
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
    parser.add_argument("--meetings", type=int, default=5000)
    parser.add_argument("--agreements", type=int, default=20000)
    parser.add_argument(
        "--counts-only", action="store_true", help="count the queries, time nothing"
    )
    parser.add_argument("--requests", type=int, default=320, help="per page, all connections")
    parser.add_argument(
        "--processes", type=int, default=1, help="gunicorn workers (WEB_PROCESSES; default 1)"
    )
    args = parser.parse_args(argv)
    r = run(
        (args.children, args.clips, args.moments),
        (args.meetings, args.agreements),
        args.requests,
        args.processes,
        serving=not args.counts_only,
    )
    load_after = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    m = r["made"]
    print(f"machine: {machine_info()}; load average before the run {r['load']}, after {load_after}")
    print(
        f"dataset: the demo school + {args.children} children, {args.clips} clips, "
        f"{args.moments} moments, {r['played']} playbacks; {m.meetings} meetings ({m.items} "
        f"agenda items, {m.summaries} summaries), {m.agreements} agreements, {m.reviews} reviews "
        f"(made in {r['generated_s']:.1f} s)"
    )
    print(
        "SQL queries per page counted in-process on a small dataset (the demo school + "
        f"{SMALL[0]} children, {SMALL[1]} clips, {SMALL[2]} moments, {SMALL_MEETINGS[0]} "
        f"meetings, {SMALL_MEETINGS[1]} agreements) and again on the large"
    )
    if args.counts_only:
        grow = [p.name for p in r["pages"] if r["large"][p.name] > r["small"][p.name]]
        for page in r["pages"]:
            print(
                f"{page.name:27} {r['small'][page.name]:>3} {r['large'][page.name]:>3}  {page.path}"
            )
        return 1 if grow else 0
    print(
        f"gunicorn.conf.py with {args.processes} process(es) x {threads_of_gunicorn()} "
        f"threads; {args.requests} requests a page over {CONNECTIONS} keep-alive connections "
        f"at once, each page between two such rounds of the static file {STATIC}, "
        f"{ROUNDS} times over; then {SINGLE} requests on one connection alone"
    )
    static = r["times"]["static"]
    print(
        f"budget: alone p95 ≤ {BUDGET_MS:.0f} ms; at {CONNECTIONS} connections a rate ≥ "
        f"{BUDGET_RATIO:.0%} of the static file's ({static.rate:.0f}/s in this run, p95 "
        f"{p95(static.times):.0f} ms): the median of a page's {ROUNDS} rounds, each against "
        f"the static file's two rounds beside it; SQL queries the same on small and large data"
    )
    print(
        f"{'page':27} {'alone median':>12} {'p95':>6}  {f'rate at {CONNECTIONS}':>11} "
        f"{'of static':>9} {'(rounds)':>13}  {'p95':>6}  {'queries':>7}  verdict"
    )
    ok = True
    for page in r["pages"]:
        got, alone = r["times"][page.name], r["alone"][page.name]
        small, large = r["small"][page.name], r["large"][page.name]
        shares = r["shares"][page.name]
        ratio = statistics.median(shares)
        spread = f"({min(shares):.0%}–{max(shares):.0%})"
        misses = [
            *(["alone p95"] if p95(alone) > BUDGET_MS else []),
            *([f"rate at {CONNECTIONS}"] if ratio < BUDGET_RATIO else []),
            *(["queries grow"] if large > small else []),
        ]
        ok &= not misses
        print(
            f"{page.name:27} {statistics.median(alone):9.1f} ms {p95(alone):6.1f}  "
            f"{got.rate:9.0f}/s {ratio:9.1%} {spread:>13}  {p95(got.times):6.0f}  "
            f"{small:>3} {large:>3}  "
            f"{'OK' if not misses else 'OVER: ' + ', '.join(misses)}"
        )
    alone = r["alone"]["static"]
    print(
        f"{'static file':27} {statistics.median(alone):9.1f} ms {p95(alone):6.1f}  "
        f"{static.rate:9.0f}/s {1:9.1%} {'':>13}  {p95(static.times):6.0f}  (the machine's ceiling)"
    )
    print(
        f"times in ms: alone = one request at a time on one connection; p95 at {CONNECTIONS} "
        f"is mostly queueing; queries = small data, large data; the timed part took "
        f"{r['served_s']:.0f} s"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
