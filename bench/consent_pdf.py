"""Budget: a consent PDF, rendered and sealed, in at most 500 ms in a warm process.

Builds the demo school in a scratch instance (SQLite, migrated), takes the demo parent's
signed consent, and times what signing does for its PDF: render ``pdf/consent.html`` with the
record's real values (text as shown, drawn signature, evidence page) and seal it with the
school's key. Reports the median of N warm runs, split into render and seal, and the machine.

    python -m bench consent_pdf          # or: python -m bench.consent_pdf --runs 30
"""

from __future__ import annotations

import sys
from typing import Any

from bench.pdf_timing import demo_app, report, time_sealed


def run(runs: int, warmup: int) -> dict[str, Any]:
    """Render and seal the demo consent ``warmup + runs`` times; medians in milliseconds."""
    from sqlalchemy import select

    from app.consent import services as consent
    from app.consent.models import ConsentRecord
    from app.core import pdf, seal
    from app.core.db import db, utcnow

    with demo_app() as app:
        record = db.session.scalar(select(ConsentRecord))
        child = record.child
        values = {
            **consent.pdf_values(db.session, record),
            "school_name": child.school.name,
            "document_title": consent.pdf_title(record),
            "issued_at": utcnow(),
        }

        def render() -> bytes:
            with pdf.print_context(record.language):
                return pdf.render_pdf("pdf/consent.html", **values)

        def seal_it(rendered: bytes) -> bytes:
            return seal.seal_pdf(
                rendered, child.school, reason="Toestemming", location=child.school.city
            )

        with app.test_request_context(base_url=app.config["BASE_URL"]):
            return time_sealed(render, seal_it, runs, warmup)


def main(argv: list[str] | None = None) -> int:
    """Print the figure; exit 1 when the median is over budget or the seal does not verify."""
    return report(
        "bench.consent_pdf",
        run,
        lambda r: f"consent PDF ({r['pages']} pages, {r['kib']} KiB)",
        argv,
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
