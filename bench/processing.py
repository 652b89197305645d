"""Budgets: a poster within 2 s of an upload, a one-minute 720p clip converted within 15 s.

Makes a one-minute 720p video with ffmpeg's test sources (``testsrc2`` at 30 fps and a sine
tone, H.264/AAC as a camera writes it), puts it in a scratch instance (SQLite, migrated) as an
uploaded clip, and hands it to a REAL worker as ``make run`` starts it (``huey_consumer
app.tasks.huey``, one thread worker, a SQLite queue) that has been idle for a few seconds.
The clip's row is watched every 20 ms:

- poster latency: from the moment the clip is queued to the poster's commit (queue pick-up,
  claim and poster frame included), against 2 s;
- conversion time: from the claim (PROCESSING) to READY, against 15 s, and as a fraction of
  the clip's duration.

    python -m bench processing          # or: python -m bench.processing --seconds 60
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.machine import machine_info

POSTER_BUDGET_S = 2.0
CONVERSION_BUDGET_S = 15.0
ROOT = Path(__file__).resolve().parent.parent


def make_source(path: Path, seconds: int) -> Path:
    """A synthetic 720p video with sound, as a camera would hand it over."""
    import imageio_ffmpeg

    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate=30:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "8M", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-shortest", str(path),
        ],
        check=True,
    )  # fmt: skip
    return path


def cpu_seconds_of_conversion(source: Path, out: Path) -> float:
    """The CPU time (user + system) ffmpeg spends on the web version of ``source``: unlike
    wall time, it hardly depends on what else the machine is doing."""
    import resource

    from app.clips.services import transcode

    args = transcode.web_args(source, out, has_audio=True, start=None, length=None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [transcode.ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args],
        check=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run(seconds: int, idle: float) -> dict[str, float | str]:
    """Queue one uploaded clip for a real, idle worker; the timings in seconds."""
    scratch = Path(tempfile.mkdtemp(prefix="beeldbrug-bench-"))
    url = f"sqlite:///{scratch / 'bench.db'}"
    env = {
        **os.environ,
        "BEELDBRUG_ENV": "development",
        "BEELDBRUG_INSTANCE": str(scratch / "instance"),
        "DATABASE_URL": url,
        "MEDIA_ROOT": str(scratch / "media"),
        "JOBS_URL": f"sqlite:///{scratch / 'jobs.db'}",
        "MAIL_BACKEND": "console",
    }
    from alembic import command
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from app.circle.audience import Audience
    from app.circle.models import Child, School
    from app.cli import alembic_config
    from app.clips.models import Clip, ClipState, Source
    from app.core.storage import LocalStorage

    command.upgrade(alembic_config(url), "head")
    source = make_source(scratch / "camera.mp4", seconds)
    with source.open("rb") as body:
        stored = LocalStorage(scratch / "media").store_stream(
            body,
            folder="clips/originals",
            suffix=".mp4",
            length=source.stat().st_size,
            limit=source.stat().st_size,
        )
    engine = create_engine(url)
    with Session(engine) as session:
        school = School(name="OBS De Regenboog", city="Utrecht")
        session.add(school)
        session.flush()
        child = Child(
            school_id=school.id,
            name="Noah",
            date_of_birth=date(2018, 3, 1),
            group_name="groep 3",
            guiding_question="Wat heeft Noah nodig?",
            started_on=date(2026, 9, 1),
        )
        session.add(child)
        session.flush()
        clip = Clip(
            child_id=child.id,
            source=Source.SCHOOL,
            title="Kring",
            audience=Audience.TEAM,
            state=ClipState.UPLOADED,
            original_key=stored.key,
            original_size=stored.size,
        )
        session.add(clip)
        session.commit()
        clip_id = clip.id

    bin_dir = Path(sys.executable).parent
    worker = subprocess.Popen(
        [str(bin_dir / "huey_consumer"), "app.tasks.huey", "--workers", "1",
         "--worker-type", "thread", "--max-delay", "1", "--quiet"],
        env=env, cwd=ROOT, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(idle)  # an idle worker polls at its slowest
        queued = subprocess.run(
            [sys.executable, "-c",
             "import time\nfrom app import create_app\n"
             "from app.clips.services import conversion\n"
             "with create_app().app_context():\n"
             f"    t = time.time()\n    conversion.convert_clip({clip_id})\nprint(t)"],
            env=env, cwd=ROOT, check=True, capture_output=True, text=True,
        )  # fmt: skip
        queued_at = float(queued.stdout.strip().splitlines()[-1])
        claimed_at = poster_at = ready_at = None
        deadline = time.time() + 300
        while ready_at is None and time.time() < deadline:
            with Session(engine) as session:
                row = session.get(Clip, clip_id)
                now = time.time()
                if claimed_at is None and row.state is not ClipState.UPLOADED:
                    claimed_at = now
                if poster_at is None and row.poster_key:
                    poster_at = now
                if row.state in {ClipState.READY, ClipState.FAILED}:
                    ready_at = now
                    state, failure, duration = row.state, row.failure, row.duration_s
            time.sleep(0.02)
        load = os.getloadavg()[0]
        cpu_s = cpu_seconds_of_conversion(source, scratch / "again.mp4")
    finally:
        os.killpg(worker.pid, signal.SIGINT)
        worker.wait(timeout=30)
        engine.dispose()
        shutil.rmtree(scratch, ignore_errors=True)
    if ready_at is None or state is not ClipState.READY:
        raise RuntimeError(f"the clip did not become ready: {failure}")
    assert claimed_at is not None and poster_at is not None
    return {
        "poster_s": poster_at - queued_at,
        "pickup_s": claimed_at - queued_at,
        "conversion_s": ready_at - claimed_at,
        "duration_s": float(duration or seconds),
        "source_mib": stored.size / 2**20,
        "cpu_s": cpu_s,
        "load": load,
    }


def main(argv: list[str] | None = None) -> int:
    """Print the figures as ratios to their budgets; exit 1 when one is over budget."""
    parser = argparse.ArgumentParser(prog="python -m bench.processing")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--idle", type=float, default=5.0, help="worker idle time first (s)")
    args = parser.parse_args(argv)
    r = run(args.seconds, args.idle)
    poster_ratio = r["poster_s"] / POSTER_BUDGET_S
    conversion_ratio = r["conversion_s"] / CONVERSION_BUDGET_S
    ok = poster_ratio <= 1 and conversion_ratio <= 1
    print(f"machine: {machine_info()}")
    print(
        f"poster after upload ({r['duration_s']:.0f} s 720p clip, {r['source_mib']:.0f} MiB, "
        f"idle worker; queue pick-up {r['pickup_s']:.2f} s): {r['poster_s']:.2f} s, "
        f"{poster_ratio:.2f} of the {POSTER_BUDGET_S:.0f} s budget"
    )
    print(
        f"conversion to the web version: {r['conversion_s']:.1f} s, "
        f"{r['conversion_s'] / r['duration_s']:.2f} of the clip's duration, "
        f"{conversion_ratio:.2f} of the {CONVERSION_BUDGET_S:.0f} s budget; "
        f"{'OK' if ok else 'OVER BUDGET'}"
    )
    cores = len(os.sched_getaffinity(0))
    print(
        f"the same conversion needs {r['cpu_s']:.1f} s of CPU time: "
        f"{r['cpu_s'] / cores:.1f} s on {cores} idle cores "
        f"({r['cpu_s'] / cores / CONVERSION_BUDGET_S:.2f} of the budget); "
        f"load average during the run: {r['load']:.1f}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
