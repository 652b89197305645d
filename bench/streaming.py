"""Budgets (DESIGN.md §6): start of playback and seek, p95 of a range request to its first
byte, ≤ 20 ms; streaming with the access check on every request through X-Accel-Redirect,
≥ 85 % of nginx serving the same file directly for whole files and ≥ 50 % for 1 MiB ranges.

Builds the demo school in a scratch instance (SQLite, migrated), gives the demo coach a ready
clip whose web version is a file of random bytes, and starts on loopback: gunicorn with the
project's gunicorn.conf.py twice (Flask sends the bytes; and with MEDIA_ACCEL_PREFIX behind
nginx), and nginx from deploy/nginx.conf with one extra location that serves MEDIA_ROOT
directly (the comparison only; never in the shipped file). Every loop is bounded, and the two
ways of streaming alternate so that a drifting shared machine hits both alike.

    python -m bench streaming           # or: python -m bench.streaming --size-mib 64
"""

from __future__ import annotations

import argparse
import getpass
import http.client
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from bench.machine import machine_info

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TTFB_BUDGET_MS = 20.0
WHOLE_BUDGET = 0.85
RANGES_BUDGET = 0.50
MIB = 1024 * 1024
DIRECT = "/_bench_direct/"
HOP = "/_bench_hop"
SIGNED_HOP = "/_bench_signed_in_hop"
COACH = "coach@regenboog.example"


def served_app():  # type: ignore[no-untyped-def]
    """The portal, with a reference mounted beside it (gunicorn's app factory): a bare WSGI
    answer that hands ``/_bench_hop/<key>`` to nginx by X-Accel-Redirect without any check,
    session or framework. nginx → gunicorn → X-Accel → nginx at its cheapest: the ceiling that
    any check made in a Python web worker can reach."""
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from app import create_app

    def hop(environ, start_response):  # type: ignore[no-untyped-def]
        key = environ.get("PATH_INFO", "").lstrip("/")
        start_response("200 OK", [("X-Accel-Redirect", "/_media/" + key)])
        return [b""]

    from flask import Response

    from app.circle import routes

    @routes.signed_in
    def signed_in_hop(key: str) -> Response:
        # The same hand-over after the portal's own request handling and a signed-in session,
        # but no look at the child, the clip or consent.
        return Response(headers={"X-Accel-Redirect": "/_media/" + key})

    app = create_app()
    app.add_url_rule(f"{SIGNED_HOP}/<path:key>", "bench_signed_in_hop", signed_in_hop)
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {HOP: hop})  # type: ignore[method-assign]
    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} stopped while starting")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not start listening")


@contextmanager
def running(args: list[str], env: dict[str, str], port: int, what: str) -> Iterator[None]:
    process = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for(port, process, what)
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def prepare(scratch: Path, size: int) -> tuple[dict[str, str], str, str]:
    """The scratch instance with the demo school and a ready clip of ``size`` random bytes.
    Returns the environment of the app, the video's path and its storage key."""
    env = {
        **os.environ,
        "BEELDBRUG_ENV": "development",
        "BEELDBRUG_INSTANCE": str(scratch),
        "DATABASE_URL": f"sqlite:///{scratch / 'bench.db'}",
        "JOBS_URL": f"sqlite:///{scratch / 'jobs.db'}",
        "MEDIA_ROOT": str(scratch / "media"),
        "MAIL_BACKEND": "console",
        "WEB_THREADS": "8",
    }
    os.environ.update(env)
    from alembic import command
    from sqlalchemy import select

    from app import create_app
    from app.circle.audience import Audience
    from app.circle.models import Child, User
    from app.cli import alembic_config
    from app.clips.models import Clip, ClipState, Source
    from app.core import storage
    from app.core.db import db, utcnow
    from app.demo import DEMO_PASSWORD, load_demo

    app = create_app()
    command.upgrade(alembic_config(app.config["DATABASE_URL"]), "head")
    with app.app_context():
        load_demo()
        coach = db.session.scalar(select(User).where(User.email == COACH))
        child = db.session.scalar(select(Child).where(Child.name == "Noah Bakker"))
        chunks = (os.urandom(MIB) for _ in range(size // MIB))
        stored = storage.store_stream(
            chunks, folder="clips/web", suffix=".mp4", length=size, limit=size
        )
        clip = Clip(
            child_id=child.id,
            source=Source.SCHOOL,
            uploader_id=coach.id,
            title="Benchmark",
            audience=Audience.TEAM,
            state=ClipState.READY,
            progress=100,
            web_key=stored.key,
            web_size=stored.size,
            web_sha256=stored.sha256,
            duration_s=60.0,
            ready_at=utcnow(),
        )
        db.session.add(clip)
        db.session.commit()
        path = f"/children/{child.id}/clips/{clip.id}/video"
        env["BENCH_PASSWORD"] = DEMO_PASSWORD
    return env, path, stored.key


class Visitor:
    """One keep-alive connection to a server on loopback, with cookies."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.buffer = bytearray(MIB)

    def send(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> http.client.HTTPResponse:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        sent = {**({"Cookie": cookie} if cookie else {}), **(headers or {})}
        try:
            self.connection.request(method, path, body=body or None, headers=sent)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError):
            # The server closed a keep-alive connection left idle: open a new one, once.
            self.connection.close()
            self.connection.request(method, path, body=body or None, headers=sent)
            response = self.connection.getresponse()
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response

    def sign_in(self, email: str, password: str) -> None:
        page = self.send("GET", "/sign-in").read().decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        token = token or re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        form = f"csrf_token={token.group(1) if token else ''}&email={email}&password={password}"
        answer = self.send(
            "POST",
            "/sign-in",
            {"Content-Type": "application/x-www-form-urlencoded"},
            form.replace("@", "%40").encode(),
        )
        answer.read()
        if answer.status != 302:
            raise RuntimeError(f"sign-in refused: {answer.status}")

    def first_byte_ms(self, path: str, asked: str) -> float:
        """Milliseconds from sending a range request to its first body byte (then drained)."""
        start = time.perf_counter()
        response = self.send("GET", path, {"Range": asked})
        first = response.read(1)
        elapsed = (time.perf_counter() - start) * 1000
        while response.readinto(self.buffer):
            pass
        if response.status != 206 or not first:
            raise RuntimeError(f"{asked}: {response.status}")
        return elapsed

    def fetch(self, path: str, asked: str | None = None) -> int:
        """Bytes of one whole response, read into a reused buffer."""
        response = self.send("GET", path, {"Range": asked} if asked else None)
        total = 0
        while True:
            n = response.readinto(self.buffer)
            if not n:
                break
            total += n
        if response.status not in (200, 206):
            raise RuntimeError(f"{path}: {response.status}")
        return total

    def play_through(self, path: str, size: int) -> int:
        """Read the whole video as a player does: an open-ended range, then the next one where
        the last answer ended (capped answers, STREAM_CHUNK_SECONDS each). Returns how many
        requests it took."""
        start, requests = 0, 0
        while start < size:
            response = self.send("GET", path, {"Range": f"bytes={start}-"})
            got = 0
            while True:
                n = response.readinto(self.buffer)
                if not n:
                    break
                got += n
            if response.status != 206 or not got:
                raise RuntimeError(f"{path} from {start}: {response.status}")
            start, requests = start + got, requests + 1
        return requests


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def ttfb(visitor: Visitor, path: str, size: int, requests: int) -> list[float]:
    """Starts of playback (from byte 0) and seeks (anywhere), 64 KiB each, alternating."""
    rng = random.Random(7)
    times = []
    for i in range(requests):
        first = 0 if i % 4 == 0 else rng.randrange(0, size - 65536)
        times.append(visitor.first_byte_ms(path, f"bytes={first}-{first + 65535}"))
    return times


def throughput(
    accel: Visitor,
    direct: Visitor,
    video: str,
    media: str,
    *,
    hop: str,
    signed_hop: str,
    size: int,
    wholes: int,
    ranges: int,
) -> dict[str, float]:
    """MB/s of whole files and of 1 MiB ranges, X-Accel after the check against nginx directly,
    and (ranges only) X-Accel after the bare hop without any check."""
    seconds = {
        "accel_whole": 0.0,
        "direct_whole": 0.0,
        "accel_ranges": 0.0,
        "direct_ranges": 0.0,
        "hop_ranges": 0.0,
        "signed_ranges": 0.0,
    }
    moved = dict.fromkeys(seconds, 0)
    for _ in range(wholes):
        for name, visitor, path in (("accel", accel, video), ("direct", direct, media)):
            start = time.perf_counter()
            moved[f"{name}_whole"] += visitor.fetch(path)
            seconds[f"{name}_whole"] += time.perf_counter() - start
    rng = random.Random(11)
    for _ in range(ranges):
        first = rng.randrange(0, size // MIB) * MIB
        asked = f"bytes={first}-{first + MIB - 1}"
        for name, visitor, path in (
            ("accel", accel, video),
            ("direct", direct, media),
            ("hop", direct, hop),
            ("signed", accel, signed_hop),
        ):
            start = time.perf_counter()
            moved[f"{name}_ranges"] += visitor.fetch(path, asked)
            seconds[f"{name}_ranges"] += time.perf_counter() - start
    return {k: moved[k] / seconds[k] / 1e6 for k in seconds}


def playback(
    app: Visitor, accel: Visitor, direct: Visitor, video: str, media: str, *, size: int, rounds: int
) -> dict[str, float]:
    """A whole clip played through capped open-ended ranges, through the app and through
    nginx, against nginx sending it directly in one answer: requests and MB/s."""
    seconds = dict.fromkeys(("app_play", "accel_play", "direct_play"), 0.0)
    requests = 0
    for _ in range(rounds):
        for name, visitor in (("app", app), ("accel", accel)):
            start = time.perf_counter()
            requests = visitor.play_through(video, size)
            seconds[f"{name}_play"] += time.perf_counter() - start
        start = time.perf_counter()
        direct.fetch(media, "bytes=0-")
        seconds["direct_play"] += time.perf_counter() - start
    rates = {k: size * rounds / v / 1e6 for k, v in seconds.items()}
    return {**rates, "play_requests": float(requests)}


def nginx_config(listen: int, upstream: int, media_root: Path, state: Path) -> str:
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    values = {
        "NGINX_USER": getpass.getuser(),
        "LISTEN": f"127.0.0.1:{listen}",
        "UPSTREAM": f"127.0.0.1:{upstream}",
        "MEDIA_ROOT": str(media_root.resolve()),
        "STATE_DIR": str(state),
    }
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    # The comparison: the same files served by nginx without any check (bench only).
    direct = (
        f"        location {DIRECT} {{\n            alias {media_root.resolve()}/;\n        }}\n"
    )
    marker = "        location /_media/ {"
    return text.replace(marker, direct + "\n" + marker, 1)


def run(size_mib: int, requests: int, wholes: int, ranges: int, plays: int) -> dict[str, Any]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).is_file():
        raise RuntimeError("nginx is not installed (scripts/sysdeps.sh installs it)")
    scratch = Path(tempfile.mkdtemp(prefix="beeldbrug-bench-"))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())  # a shared machine: say how busy
    try:
        size = size_mib * MIB
        env, video, key = prepare(scratch, size)
        password = env.pop("BENCH_PASSWORD")
        plain_port, accel_port, nginx_port = free_port(), free_port(), free_port()
        gunicorn = [
            str(BIN / "gunicorn"),
            "--config",
            "gunicorn.conf.py",
            "bench.streaming:served_app()",
        ]
        state = scratch / "nginx"
        state.mkdir()
        conf = state / "nginx.conf"
        conf.write_text(nginx_config(nginx_port, accel_port, Path(env["MEDIA_ROOT"]), state))
        with ExitStack() as stack:
            stack.enter_context(
                running(gunicorn, {**env, "BIND": f"127.0.0.1:{plain_port}"}, plain_port, "app")
            )
            accel_env = {**env, "BIND": f"127.0.0.1:{accel_port}", "MEDIA_ACCEL_PREFIX": "/_media/"}
            stack.enter_context(running(gunicorn, accel_env, accel_port, "app behind nginx"))
            stack.enter_context(
                running(
                    [
                        nginx,
                        "-c",
                        str(conf),
                        "-p",
                        str(state),
                        "-e",
                        str(state / "error.log"),
                        "-g",
                        "daemon off;",
                    ],
                    env,
                    nginx_port,
                    "nginx",
                )
            )
            app = Visitor(plain_port)
            app.sign_in(COACH, password)
            proxied = Visitor(nginx_port)
            proxied.sign_in(COACH, password)
            direct = Visitor(nginx_port)
            ttfb(app, video, size, 20)  # warm up
            app_times = ttfb(app, video, size, requests)
            nginx_times = ttfb(proxied, video, size, requests)
            # The same requests without any check: how fast this machine is during the run.
            direct_times = ttfb(direct, DIRECT + key, size, requests)
            rates = throughput(
                proxied,
                direct,
                video,
                DIRECT + key,
                hop=f"{HOP}/{key}",
                signed_hop=f"{SIGNED_HOP}/{key}",
                size=size,
                wholes=wholes,
                ranges=ranges,
            )
            played = playback(app, proxied, direct, video, DIRECT + key, size=size, rounds=plays)
        return {
            **played,
            "app_p95": p95(app_times),
            "app_median": statistics.median(app_times),
            "nginx_p95": p95(nginx_times),
            "direct_p95": p95(direct_times),
            **rates,
            "whole_ratio": rates["accel_whole"] / rates["direct_whole"],
            "ranges_ratio": rates["accel_ranges"] / rates["direct_ranges"],
            "hop_ratio": rates["hop_ranges"] / rates["direct_ranges"],
            "signed_ratio": rates["signed_ranges"] / rates["direct_ranges"],
            "load": load,
        }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Print the figures; exit 1 when a budget is missed."""
    parser = argparse.ArgumentParser(prog="python -m bench.streaming")
    parser.add_argument("--size-mib", type=int, default=64)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--wholes", type=int, default=20)
    parser.add_argument("--ranges", type=int, default=200)
    parser.add_argument("--plays", type=int, default=5)
    args = parser.parse_args(argv)
    r = run(args.size_mib, args.requests, args.wholes, args.ranges, args.plays)
    ok_ttfb = max(r["app_p95"], r["nginx_p95"]) <= TTFB_BUDGET_MS
    ok_whole = r["whole_ratio"] >= WHOLE_BUDGET
    ok_ranges = r["ranges_ratio"] >= RANGES_BUDGET
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {machine_info()}; load average before the run {r['load']}, after {load}")
    print(
        f"range request to first byte, p95 of {args.requests} (starts and seeks): through the "
        f"app {r['app_p95']:.1f} ms (median {r['app_median']:.1f}), through nginx with "
        f"X-Accel {r['nginx_p95']:.1f} ms (nginx without any check "
        f"{r['direct_p95']:.1f} ms); budget {TTFB_BUDGET_MS:.0f} ms: "
        f"{'OK' if ok_ttfb else 'OVER BUDGET'}"
    )
    print(
        f"whole file ({args.size_mib} MiB) x {args.wholes}: X-Accel after the check "
        f"{r['accel_whole']:.0f} MB/s, nginx directly {r['direct_whole']:.0f} MB/s = "
        f"{r['whole_ratio']:.0%}; budget {WHOLE_BUDGET:.0%}: {'OK' if ok_whole else 'UNDER'}"
    )
    print(
        f"1 MiB ranges x {args.ranges}: X-Accel after the check {r['accel_ranges']:.0f} MB/s, "
        f"nginx directly {r['direct_ranges']:.0f} MB/s = {r['ranges_ratio']:.0%}; budget "
        f"{RANGES_BUDGET:.0%}: {'OK' if ok_ranges else 'UNDER'}"
    )
    print(
        f"  for reference, the same ranges handed to nginx without looking at the child, the clip "
        f"or consent: by a bare WSGI answer {r['hop_ranges']:.0f} MB/s = {r['hop_ratio']:.0%}; "
        f"by a portal route that only needs a signed-in session {r['signed_ranges']:.0f} MB/s "
        f"= {r['signed_ratio']:.0%} of nginx directly"
    )
    print(
        f"playing the whole clip (60 s, {args.size_mib} MiB) x {args.plays} as a player does, "
        f"open-ended ranges capped to a few seconds: {r['play_requests']:.0f} requests a play "
        f"(one without the cap); through the app {r['app_play']:.0f} MB/s, through nginx "
        f"{r['accel_play']:.0f} MB/s ("
        f"{1000 * args.size_mib * MIB / 1e6 / r['accel_play'] / r['play_requests']:.0f} ms a "
        f"request), against nginx sending it in one answer "
        f"{r['direct_play']:.0f} MB/s = {r['accel_play'] / r['direct_play']:.0%} (reported)"
    )
    return 0 if ok_ttfb and ok_whole and ok_ranges else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
