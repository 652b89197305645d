"""Budget: the export of a child with 50 clips streams into the zip with flat memory (≤ 50 MB
growth) at ≥ 50 % of the rate of a plain zip of the same files, in the same run (the issue
of the child's export; not a timed test).

Builds the demo school in a scratch instance (SQLite, migrated), makes one synthetic web
version with ffmpeg (``testsrc2`` with a tone, H.264/AAC, ``BENCH_EXPORT_CLIP_S`` seconds at
``BENCH_EXPORT_KBPS``), stores it ``BENCH_EXPORT_CLIPS`` times (default 50) as ready school
clips of Noah with a moment each, and then, alternately and ``BENCH_EXPORT_RUNS`` times each:

- the export job (``app.children.export.service.build``) for Noah's coach: every source's
  queries, records.json, schema.json, README.txt, the WebVTT files, every clip and sealed PDF
  copied into the zip in 1 MiB chunks, progress written to the row, the zip fsynced and moved
  into storage, the audit event;
- a plain zip of the same files (the same clips and PDFs): ``zipfile.ZipFile.write`` of each,
  stored, to a file in the same folder, without fsync.

Reports the median time of each, the ratio of their rates (plain time / export time), and the
export's memory growth two ways: the peak of Python's allocations during the job
(tracemalloc) and the growth of the process's peak resident set (VmHWM, reset before the job
through ``/proc/self/clear_refs``).

    python -m bench export          # or: BENCH_EXPORT_CLIPS=50 python -m bench.export
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

from bench.machine import machine_info
from bench.pdf_timing import demo_app

CLIPS = int(os.environ.get("BENCH_EXPORT_CLIPS", "50"))
CLIP_SECONDS = int(os.environ.get("BENCH_EXPORT_CLIP_S", "10"))
KBPS = int(os.environ.get("BENCH_EXPORT_KBPS", "2400"))
RUNS = int(os.environ.get("BENCH_EXPORT_RUNS", "3"))
RATIO_BUDGET = 0.5
MEMORY_BUDGET_MB = 50.0


def synthetic_clip(folder: Path) -> Path:
    """A web version made of ffmpeg's test sources: 720p H.264 with an AAC tone, fast start."""
    from app.clips.services.transcode import ffmpeg_exe

    out = folder / "clip.mp4"
    subprocess.run(
        [
            ffmpeg_exe(), "-v", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate=25:duration={CLIP_SECONDS}",
            "-f", "lavfi", "-i", f"sine=frequency=440:duration={CLIP_SECONDS}",
            "-c:v", "libx264", "-preset", "ultrafast", "-b:v", f"{KBPS}k",
            "-c:a", "aac", "-movflags", "+faststart", "-shortest", str(out),
        ],
        check=True,
    )  # fmt: skip
    return out


def add_clips(video: Path) -> tuple[Any, Any]:
    """Store ``video`` CLIPS times as ready school clips of Noah, each with a moment; return
    Noah and his coach."""
    from sqlalchemy import select

    from app.circle.audience import Audience
    from app.circle.models import Child, Membership, Role, User
    from app.clips.models import Clip, ClipState, Moment, Source, Tag
    from app.core import storage
    from app.core.db import db, utcnow

    noah = db.session.scalar(select(Child).where(Child.name == "Noah Bakker"))
    coach = db.session.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.child_id == noah.id, Membership.role == Role.COACH)
    )
    for number in range(CLIPS):
        with video.open("rb") as body:
            stored = storage.store_stream(
                body, folder="clips/web", suffix=".mp4", length=video.stat().st_size
            )
        clip = Clip(
            child_id=noah.id,
            source=Source.SCHOOL,
            uploader_id=coach.id,
            title=f"Synthetische opname {number + 1}",
            audience=Audience.TEAM,
            state=ClipState.READY,
            progress=100,
            web_key=stored.key,
            web_size=stored.size,
            web_sha256=stored.sha256,
            duration_s=float(CLIP_SECONDS),
            width=1280,
            height=720,
            ready_at=utcnow(),
        )
        db.session.add(clip)
        db.session.flush()
        db.session.add(
            Moment(
                child_id=noah.id,
                clip_id=clip.id,
                author_id=coach.id,
                start_s=1.0,
                tag=Tag.SUCCESS,
                text="Noah kijkt op",
                audience=Audience.TEAM,
            )
        )
    db.session.commit()
    return noah, coach


def peak_rss_reset() -> bool:
    """Reset the process's peak resident set (Linux); False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_export(noah: Any, coach: Any) -> dict[str, Any]:
    """One export job for the coach, timed and measured; the zip is removed afterwards."""
    from app.children.export import service
    from app.children.export.models import ChildExport, ExportState
    from app.circle.policy import seat_for
    from app.core import storage
    from app.core.db import db

    seat = seat_for(coach, noah)
    assert seat is not None
    export = service.request_export(db.session, seat)
    db.session.commit()
    reset = peak_rss_reset()
    rss_before = status_mb("VmRSS")
    tracemalloc.start()
    start = time.perf_counter()
    state = service.build(export.id)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    hwm = status_mb("VmHWM")
    done = db.session.get(ChildExport, export.id)
    assert state is ExportState.READY and done is not None, done and done.failure
    path = storage.path_of(done.storage_key or "")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    size = path.stat().st_size
    storage.delete(done.storage_key or "")
    return {
        "seconds": seconds,
        "size": size,
        "entries": len(names),
        "py_peak_mb": peak / 1024**2,
        "rss_growth_mb": (hwm - rss_before) if reset else float("nan"),
    }


def stored_files(noah: Any, coach: Any) -> list[tuple[Path, str]]:
    """The files the export copies (clips and PDFs), as the sources list them."""
    from app.children.export import sources
    from app.circle.policy import seat_for
    from app.core import storage
    from app.core.db import db

    seat = seat_for(coach, noah)
    assert seat is not None
    return [
        (storage.path_of(entry.key), entry.name)
        for section in sources.sections_for(db.session, seat)
        for entry in section.files
    ]


def run_plain(files: list[tuple[Path, str]], folder: Path) -> float:
    """A plain zip of ``files`` (stored) in ``folder``; its time in seconds."""
    out = folder / "plain.zip"
    start = time.perf_counter()
    with zipfile.ZipFile(out, "w", allowZip64=True) as archive:
        for path, name in files:
            archive.write(path, name, compress_type=zipfile.ZIP_STORED)
    seconds = time.perf_counter() - start
    out.unlink()
    return seconds


def main(argv: list[str]) -> int:
    print(f"machine: {machine_info()}")
    print("command: python -m bench export")
    # Nothing of the app is imported before demo_app: its settings are read on import.
    with (
        tempfile.TemporaryDirectory(prefix="beeldbrug-bench-export-") as tmp,
        demo_app(),
    ):
        from app.core import storage

        video = synthetic_clip(Path(tmp))
        noah, coach = add_clips(video)
        files = stored_files(noah, coach)
        total_mb = sum(p.stat().st_size for p, _ in files) / 1024**2
        print(
            f"dataset: {CLIPS} synthetic clips of {video.stat().st_size / 1024**2:.1f} MB "
            f"({CLIP_SECONDS} s, 720p, {KBPS} kbit/s) plus the demo's own; "
            f"{len(files)} stored files, {total_mb:.0f} MB"
        )
        scratch = storage.storage().root / "exports"
        scratch.mkdir(parents=True, exist_ok=True)
        run_plain(files, scratch)  # warm the page cache for both
        exports, plains = [], []
        for _ in range(RUNS):
            exports.append(run_export(noah, coach))
            plains.append(run_plain(files, scratch))
    export_s = statistics.median(r["seconds"] for r in exports)
    plain_s = statistics.median(plains)
    ratio = plain_s / export_s
    py_peak = max(r["py_peak_mb"] for r in exports)
    rss = max(r["rss_growth_mb"] for r in exports)
    last = exports[-1]
    print(
        f"export job: median {export_s:.2f} s ({total_mb / export_s:.0f} MB/s), "
        f"zip {last['size'] / 1024**2:.0f} MB, {last['entries']} entries"
    )
    print(f"plain zip:  median {plain_s:.2f} s ({total_mb / plain_s:.0f} MB/s)")
    print(f"ratio (export rate / plain rate): {ratio:.2f} (budget ≥ {RATIO_BUDGET})")
    print(
        f"memory growth during the export: Python peak {py_peak:.1f} MB, "
        f"peak RSS +{rss:.1f} MB (budget ≤ {MEMORY_BUDGET_MB:.0f} MB)"
    )
    ok = ratio >= RATIO_BUDGET and max(py_peak, rss) <= MEMORY_BUDGET_MB
    print("within budget" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
