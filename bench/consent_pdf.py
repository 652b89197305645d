"""Budget: a consent PDF, rendered and sealed, in at most 500 ms in a warm process.

Builds the demo school in a scratch instance (SQLite, migrated), takes the demo parent's
signed consent, and times what signing does for its PDF: render ``pdf/consent.html`` with the
record's real values (text as shown, drawn signature, evidence page) and seal it with the
school's key. Reports the median of N warm runs, split into render and seal, and the machine.

    python -m bench consent_pdf          # or: python -m bench.consent_pdf --runs 30
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

from bench.machine import machine_info

BUDGET_MS = 500.0


def run(runs: int, warmup: int) -> dict[str, float | int | bool]:
    """Render and seal the demo consent ``warmup + runs`` times; medians in milliseconds."""
    scratch = Path(tempfile.mkdtemp(prefix="beeldbrug-bench-"))
    os.environ.update(
        BEELDBRUG_ENV="development",
        BEELDBRUG_INSTANCE=str(scratch),
        DATABASE_URL=f"sqlite:///{scratch / 'bench.db'}",
        JOBS_URL="immediate://",
        MAIL_BACKEND="dummy",
    )
    from alembic import command
    from pyhanko.pdf_utils.reader import PdfFileReader
    from sqlalchemy import select

    from app import create_app
    from app.cli import alembic_config
    from app.consent import services as consent
    from app.consent.models import ConsentRecord
    from app.core import pdf, seal
    from app.core.db import db, utcnow
    from app.demo import load_demo

    app = create_app()
    command.upgrade(alembic_config(app.config["DATABASE_URL"]), "head")
    totals, renders, seals = [], [], []
    with app.app_context():
        load_demo()
        record = db.session.scalar(select(ConsentRecord))
        child = record.child
        values = {
            **consent.pdf_values(db.session, record),
            "school_name": child.school.name,
            "document_title": consent.pdf_title(record),
            "issued_at": utcnow(),
        }
        with app.test_request_context(base_url=app.config["BASE_URL"]):
            for i in range(warmup + runs):
                start = time.perf_counter()
                with pdf.print_context(record.language):
                    rendered = pdf.render_pdf("pdf/consent.html", **values)
                middle = time.perf_counter()
                sealed = seal.seal_pdf(
                    rendered, child.school, reason="Toestemming", location=child.school.city
                )
                end = time.perf_counter()
                if i >= warmup:
                    totals.append((end - start) * 1000)
                    renders.append((middle - start) * 1000)
                    seals.append((end - middle) * 1000)
            verified = seal.verify_pdf(sealed, seal.trusted_certificates()).ok
    shutil.rmtree(scratch, ignore_errors=True)
    return {
        "median_ms": statistics.median(totals),
        "render_ms": statistics.median(renders),
        "seal_ms": statistics.median(seals),
        "max_ms": max(totals),
        "pages": int(PdfFileReader(BytesIO(sealed)).root["/Pages"]["/Count"]),
        "kib": len(sealed) // 1024,
        "verified": verified,
    }


def main(argv: list[str] | None = None) -> int:
    """Print the figure; exit 1 when the median is over budget or the seal does not verify."""
    parser = argparse.ArgumentParser(prog="python -m bench.consent_pdf")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args(argv)
    r = run(args.runs, args.warmup)
    verdict = "OK" if r["median_ms"] <= BUDGET_MS and r["verified"] else "OVER BUDGET"
    print(f"machine: {machine_info()}")
    print(
        f"consent PDF ({r['pages']} pages, {r['kib']} KiB), render + seal, "
        f"median of {args.runs} warm runs: {r['median_ms']:.0f} ms "
        f"(render {r['render_ms']:.0f}, seal {r['seal_ms']:.0f}, slowest {r['max_ms']:.0f}); "
        f"budget {BUDGET_MS:.0f} ms: {verdict}; seal verifies: {r['verified']}"
    )
    return 0 if verdict == "OK" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
