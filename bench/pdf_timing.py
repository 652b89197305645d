"""What the PDF benchmarks share: a scratch instance with the demo school, and the timing of a
document's render and seal (medians of warm runs, in milliseconds).

Not a benchmark itself (no ``main``): ``python -m bench`` skips it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path
from typing import Any


@contextmanager
def demo_app() -> Iterator[Any]:
    """A scratch instance (SQLite, migrated, jobs inline, no mail) holding the demo school;
    yields its app inside an app context, and removes the instance afterwards."""
    scratch = Path(tempfile.mkdtemp(prefix="beeldbrug-bench-"))
    os.environ.update(
        BEELDBRUG_ENV="development",
        BEELDBRUG_INSTANCE=str(scratch),
        DATABASE_URL=f"sqlite:///{scratch / 'bench.db'}",
        JOBS_URL="immediate://",
        MAIL_BACKEND="dummy",
    )
    from alembic import command

    from app import create_app
    from app.cli import alembic_config
    from app.demo import load_demo
    from config import Config

    class Scratch(Config):
        # The settings classes read the environment when config.py is first imported, which
        # a benchmark's own imports of app modules may do before this runs: set every path
        # here too, or the checkout's instance folder would be used (and filled).
        INSTANCE_PATH = scratch
        DATABASE_URL = f"sqlite:///{scratch / 'bench.db'}"
        MEDIA_ROOT = scratch / "media"
        SIGNING_DIR = scratch / "signing"
        JOBS_URL = "immediate://"
        MAIL_BACKEND = "dummy"

    try:
        app = create_app(Scratch)
        command.upgrade(alembic_config(app.config["DATABASE_URL"]), "head")
        with app.app_context():
            load_demo()
            yield app
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def time_sealed(
    render: Callable[[], bytes], seal_it: Callable[[bytes], bytes], runs: int, warmup: int
) -> dict[str, Any]:
    """Render and seal ``warmup + runs`` times: the medians (total, render, seal) and the
    slowest of the warm runs, the last document's pages and size, whether its seal verifies,
    and the last ``rendered`` and ``sealed`` bytes."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    from app.core import seal

    totals: list[float] = []
    renders: list[float] = []
    seals: list[float] = []
    rendered = sealed = b""
    for i in range(warmup + runs):
        start = time.perf_counter()
        rendered = render()
        middle = time.perf_counter()
        sealed = seal_it(rendered)
        end = time.perf_counter()
        if i >= warmup:
            totals.append((end - start) * 1000)
            renders.append((middle - start) * 1000)
            seals.append((end - middle) * 1000)
    return {
        "median_ms": statistics.median(totals),
        "render_ms": statistics.median(renders),
        "seal_ms": statistics.median(seals),
        "max_ms": max(totals),
        "pages": int(PdfFileReader(BytesIO(sealed)).root["/Pages"]["/Count"]),
        "kib": len(sealed) // 1024,
        "verified": seal.verify_pdf(sealed, seal.trusted_certificates()).ok,
        "rendered": rendered,
        "sealed": sealed,
    }


#: Every issued PDF's budget: render plus seal, warm median (DESIGN §6).
BUDGET_MS = 500.0


def report(
    prog: str,
    run: Callable[[int, int], dict[str, Any]],
    what: Callable[[dict[str, Any]], str],
    argv: list[str] | None,
) -> int:
    """The command line of a PDF benchmark: run ``run(runs, warmup)``, print the machine, the
    load and ``what(result)`` with the timings and the verdict; exit 1 when the median is over
    budget or the seal does not verify."""
    from bench.machine import machine_info

    parser = argparse.ArgumentParser(prog=f"python -m {prog}")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args(argv)
    r = run(args.runs, args.warmup)
    verdict = "OK" if r["median_ms"] <= BUDGET_MS and r["verified"] else "OVER BUDGET"
    print(f"machine: {machine_info()}")
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        f"{what(r)}, render + seal, median of {args.runs} warm runs: {r['median_ms']:.0f} ms "
        f"(render {r['render_ms']:.0f}, seal {r['seal_ms']:.0f}, slowest {r['max_ms']:.0f}); "
        f"budget {BUDGET_MS:.0f} ms: {verdict}; seal verifies: {r['verified']}"
    )
    return 0 if verdict == "OK" else 1
