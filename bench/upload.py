"""Budget: a 2 GB resumable upload at ≥ 50 % of the rate of a bare chunked read of the same
bytes, with the web worker's memory growing by ≤ 50 MB (DESIGN.md §6).

Builds the demo school in a scratch instance, starts gunicorn with the project's own
``gunicorn.conf.py`` (one gthread worker) on a free loopback port, signs in as the demo coach
and sends a file of ``BENCH_UPLOAD_MB`` (default 2048) megabytes through the real tus path
(POST, then 8 MiB PATCH requests with session cookie and CSRF token, up to the probe, the
SHA-256 and the clip). For comparison the same bytes go, in the same 8 MiB requests over the
same kind of connection, to a bare WSGI endpoint mounted beside the app in the same worker
that reads the body in 1 MiB chunks, appends it to a file and flushes that to disk before it
answers, as every tus part is flushed (the budget's ratio); and, for reference, to one that
reads the bytes and drops them (what the socket and the server alone allow). The file is a
real short MP4 followed by a ``free`` box as padding, so the content check passes and the
upload becomes a clip. Reports the rates, the ratios, the worker's resident memory before and
after, and the growth of its peak.

    python -m bench upload                       # or: BENCH_UPLOAD_MB=256 python -m bench.upload

``BENCH_UPLOAD_CHUNK_MB`` (default 8, what the page sends) changes the size of each request.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.machine import machine_info

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHUNK = int(os.environ.get("BENCH_UPLOAD_CHUNK_MB", "8")) * 1024 * 1024  # the page's part size
READ = 1024 * 1024
RATIO_BUDGET = 0.5
MEMORY_BUDGET_MB = 50.0
BARE_PATH = "/bench-bare-read"


def served_app():  # type: ignore[no-untyped-def]
    """The portal, with the bare chunked reader mounted beside it (gunicorn's app factory)."""
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from app import create_app

    def bare(environ, start_response):  # type: ignore[no-untyped-def]
        # The least any upload that keeps its bytes does: read the body in chunks, append it
        # to a file, and flush that to disk before answering (as every tus part is). With
        # ?discard the bytes go nowhere: the rate of the socket and the server alone.
        stream, left = environ["wsgi.input"], int(environ.get("CONTENT_LENGTH") or 0)
        keep = "discard" not in environ.get("QUERY_STRING", "")
        with open(os.environ["BENCH_BARE_FILE"], "ab", buffering=0) as out:
            while left > 0:
                chunk = stream.read(min(READ, left))
                if not chunk:
                    break
                if keep:
                    out.write(chunk)
                left -= len(chunk)
            if keep:
                os.fsync(out.fileno())
        start_response("204 No Content", [])
        return [b""]

    app = create_app()
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {BARE_PATH: bare})  # type: ignore[method-assign]
    return app


def make_file(path: Path, megabytes: int) -> int:
    """A short real MP4 (index in front) padded with a ``free`` box to ``megabytes``."""
    import imageio_ffmpeg

    video = path.with_suffix(".head.mp4")
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
        + ["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=4"]
        + ["-c:v", "libx264", "-preset", "ultrafast", "-movflags", "+faststart", str(video)],
        check=True,
    )
    head = video.read_bytes()
    total = max(megabytes * 1024 * 1024, len(head) + 16)
    padding = total - len(head)
    block = b"\0" * READ
    with path.open("wb") as out:
        out.write(head)
        out.write(struct.pack(">I4sQ", 1, b"free", padding))  # 64-bit box size
        left = padding - 16
        while left > 0:
            out.write(block[: min(READ, left)])
            left -= min(READ, left)
    video.unlink()
    return total


def rss_mb(pid: int) -> tuple[float, float]:
    """Resident and peak resident memory of ``pid`` in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def worker_pid(master: int) -> int:
    """gunicorn's (only) worker: the master's child process."""
    for _ in range(100):
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def send(session, url: str, path: Path, *, offset_header: bool, headers: dict) -> float:  # type: ignore[no-untyped-def]
    """PATCH the file in CHUNK-sized requests; returns the seconds it took."""
    size = path.stat().st_size
    start = time.perf_counter()
    with path.open("rb") as source:
        offset = 0
        while offset < size:
            chunk = source.read(CHUNK)
            extra = {"Upload-Offset": str(offset)} if offset_header else {}
            response = session.patch(url, data=chunk, headers={**headers, **extra})
            if response.status_code != 204:
                raise RuntimeError(
                    f"PATCH {url} at {offset}: {response.status_code} {response.text[:200]}"
                )
            offset += len(chunk)
    return time.perf_counter() - start


def run(megabytes: int) -> dict[str, float | int | bool]:
    """Upload ``megabytes`` through tus and through the bare reader; rates, ratio, memory."""
    scratch = Path(tempfile.mkdtemp(prefix="beeldbrug-bench-upload-"))
    try:
        return _run(scratch, megabytes)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run(scratch: Path, megabytes: int) -> dict[str, float | int | bool]:
    import requests

    env = {
        **os.environ,
        "BEELDBRUG_ENV": "development",
        "BEELDBRUG_INSTANCE": str(scratch / "instance"),
        "DATABASE_URL": f"sqlite:///{scratch / 'bench.db'}",
        "JOBS_URL": f"sqlite:///{scratch / 'jobs.db'}",  # queued, not converted: no worker
        "MAIL_BACKEND": "dummy",
        "UPLOAD_MAX_MB": str(max(megabytes + 1, 2048)),
        "SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789",
        "WEB_PROCESSES": "1",
        "BENCH_BARE_FILE": str(scratch / "bare.bin"),
    }
    flask = [str(BIN / "flask"), "--app", "app"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "demo-data"], cwd=ROOT, env=env, check=True, capture_output=True)
    data = scratch / "recording.mp4"
    size = make_file(data, megabytes)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (scratch / "server.log").open("wb")
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", "bench.upload:served_app()"],
        cwd=ROOT,
        env={**env, "BIND": f"127.0.0.1:{port}"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        session = requests.Session()
        for _ in range(300):
            try:
                form = session.get(f"{base}/sign-in", timeout=60).text
                break
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.1)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        session.post(
            f"{base}/sign-in",
            data={"email": "coach@regenboog.example", "password": "samen-kijken-2026"}
            | {"csrf_token": token},
        )
        with sqlite3.connect(scratch / "bench.db") as db:  # Noah: his parent consented
            (child_id,) = db.execute(
                "SELECT id FROM children WHERE name = 'Noah Bakker'"
            ).fetchone()
        page = session.get(f"{base}/children/{child_id}/clips/upload").text
        csrf = re.search(r'data-csrf="([^"]+)"', page).group(1)
        worker = worker_pid(server.pid)

        # The bare read first: it warms the page cache for the file, fairly for both.
        socket_s = send(
            session, f"{base}{BARE_PATH}?discard", data, offset_header=False, headers={}
        )
        bare_s = send(session, f"{base}{BARE_PATH}", data, offset_header=False, headers={})
        (scratch / "bare.bin").unlink()
        rss_before, peak_before = rss_mb(worker)
        tus = {"Tus-Resumable": "1.0.0", "X-CSRFToken": csrf}
        created = session.post(
            f"{base}/children/{child_id}/clips/uploads",
            headers={**tus, "Upload-Length": str(size), "Upload-Metadata": "filename YS5tcDQ="},
        )
        if created.status_code != 201:
            raise RuntimeError(f"creation: {created.status_code} {created.text}")
        upload_url = base + created.headers["Location"]
        patch_headers = {**tus, "Content-Type": "application/offset+octet-stream"}
        tus_s = send(session, upload_url, data, offset_header=True, headers=patch_headers)
        rss_after, peak_after = rss_mb(worker)
        finished = session.head(upload_url, headers=tus).headers.get("Upload-Offset")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    mib = size / 1024 / 1024
    return {
        "mib": mib,
        "tus_mib_s": mib / tus_s,
        "bare_mib_s": mib / bare_s,
        "socket_mib_s": mib / socket_s,
        "ratio": bare_s / tus_s,
        "rss_before": rss_before,
        "rss_after": rss_after,
        "growth": rss_after - rss_before,
        "peak_growth": peak_after - peak_before,
        "complete": finished == str(size),
    }


def main(argv: list[str] | None = None) -> int:
    """Print the figures; exit 1 when the ratio or the memory growth misses its budget."""
    parser = argparse.ArgumentParser(prog="python -m bench.upload")
    default = int(os.environ.get("BENCH_UPLOAD_MB", "2048"))
    parser.add_argument("--mb", type=int, default=default, help="file size in MiB")
    args = parser.parse_args(argv)
    r = run(args.mb)
    ok = (
        r["ratio"] >= RATIO_BUDGET
        and max(r["growth"], r["peak_growth"]) <= MEMORY_BUDGET_MB
        and r["complete"]
    )
    print(f"machine: {machine_info()}")
    print(
        f"upload of {r['mib']:.0f} MiB in {CHUNK >> 20} MiB tus PATCH requests: "
        f"{r['tus_mib_s']:.0f} MiB/s; "
        f"bare chunked read of the same bytes into a file on disk: {r['bare_mib_s']:.0f} MiB/s "
        f"(read and dropped: {r['socket_mib_s']:.0f} MiB/s, ratio "
        f"{r['socket_mib_s'] and r['tus_mib_s'] / r['socket_mib_s']:.2f}); "
        f"ratio {r['ratio']:.2f} (budget ≥ {RATIO_BUDGET:.2f}); worker RSS "
        f"{r['rss_before']:.0f} → {r['rss_after']:.0f} MB (growth {r['growth']:+.1f} MB, "
        f"peak growth {r['peak_growth']:+.1f} MB; budget ≤ {MEMORY_BUDGET_MB:.0f} MB); "
        f"became a clip: {r['complete']}: {'OK' if ok else 'OVER BUDGET'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
