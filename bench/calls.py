"""The work of each page, counted: Python function calls per request, in-process.

Times on a shared machine swing by tens of percent between runs; the number of function calls a
request makes does not, and it follows a page's cost here (some 0.3 µs a call, SQLite's own work
not counted). Builds the pages benchmark's dataset (``bench.pages``) and counts, with cProfile,
the calls of each of its pages and of the static file it is measured against. A report, not a
budget: the budget is the rate ``bench.pages`` measures.

    python -m bench calls            # or: python -m bench.calls --children 100
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.dataset import build
from bench.meeting_data import build_meetings
from bench.pages import SMALL, SMALL_MEETINGS, STATIC, Page, pages_of, prepare

ROUNDS = 10  # requests counted per page, after three that warm caches


def sign_in(app: Any, who: str, password: str) -> Any:
    client = app.test_client()
    form = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    if token is None:
        raise RuntimeError("no form token on the sign-in page")
    data = {"email": who, "password": password, "csrf_token": token.group(1)}
    if client.post("/sign-in", data=data).status_code != 302:
        raise RuntimeError(f"sign-in as {who} refused")
    return client


def calls_per_request(client: Any, path: str) -> int:
    for _ in range(3):
        if client.get(path).status_code != 200:
            raise RuntimeError(f"{path}: not 200")
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(ROUNDS):
        client.get(path)
    profile.disable()
    return int(pstats.Stats(profile).total_calls) // ROUNDS  # type: ignore[attr-defined]


def run(
    children: int, clips: int, moments: int, meetings: int = 5000, agreements: int = 20000
) -> list[tuple[Page, int]]:
    scratch = Path(tempfile.mkdtemp(prefix="beeldbrug-bench-calls-"))
    try:
        prepare(scratch)
        from app import create_app
        from app.core.db import db
        from app.demo import DEMO_PASSWORD, load_demo

        app = create_app()
        with app.app_context():
            load_demo()
            db.session.remove()
            wanted = (children, clips, moments)
            rest = [max(0, n - s) for n, s in zip(wanted, SMALL, strict=True)]
            more = [
                max(0, n - s) for n, s in zip((meetings, agreements), SMALL_MEETINGS, strict=True)
            ]
            with db.engine.begin() as conn:
                build(conn, *SMALL)
                build_meetings(conn, *SMALL_MEETINGS)
                build(conn, *rest)
                build_meetings(conn, *more)
            with db.engine.connect() as conn:
                pages = pages_of(conn)
        clients: dict[str, Any] = {}
        counted = []
        for page in [*pages, Page("static file", pages[0].who, STATIC)]:
            if page.who not in clients:
                clients[page.who] = sign_in(app, page.who, DEMO_PASSWORD)
            counted.append((page, calls_per_request(clients[page.who], page.path)))
        return counted
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.calls")
    parser.add_argument("--children", type=int, default=1000)
    parser.add_argument("--clips", type=int, default=20000)
    parser.add_argument("--moments", type=int, default=200000)
    parser.add_argument("--meetings", type=int, default=5000)
    parser.add_argument("--agreements", type=int, default=20000)
    args = parser.parse_args(argv)
    counted = run(args.children, args.clips, args.moments, args.meetings, args.agreements)
    static = counted[-1][1]
    print(f"Python function calls per request, in-process ({ROUNDS} requests a page, cProfile)")
    for page, calls in counted:
        print(f"{page.name:27} {calls:7d}  {calls / static:5.1f}× the static file")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
