"""Budget: a meeting summary PDF (three pages, six posters), rendered and sealed, in at most
500 ms in a warm process.

Builds the demo school in a scratch instance (SQLite, migrated), stores six poster images,
and times what finalising does for its PDF: render ``pdf/meeting_summary.html`` with a
meeting's values (six agenda items with their posters through the authorised media fetcher,
what was seen and needed, agreements, earlier agreements reviewed, evidence page) and seal it
with the school's key. Reports the median of N warm runs, split into render and seal.

    python -m bench summary_pdf          # or: python -m bench.summary_pdf --runs 30
"""

from __future__ import annotations

import os
import sys
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bench.pdf_timing import demo_app, report, time_sealed

SEEN = (
    "Noah neemt initiatief zodra hij de tijd krijgt: hij pakt zelf de kaartjes en kijkt naar "
    "de juf. Als zij knikt en zijn naam noemt, gaat hij verder. In de grote kring kijkt hij "
    "vaak naar de deur; thuis aan tafel blijft hij bij het spel als zijn vader naast hem zit. "
)
NEED = (
    "Een vaste plek naast de juf, een teken vooraf dat de kring begint, en iemand die zijn "
    "initiatief benoemt. Korte opdrachten, één tegelijk, en een rustig moment na de pauze. "
)


def _posters(storage: object, n: int) -> list[str]:
    from PIL import Image

    keys = []
    for i in range(n):
        image = Image.new("RGB", (640, 360), (30 + 30 * i, 90, 160 - 15 * i))
        out = BytesIO()
        image.save(out, "JPEG", quality=80)
        keys.append(storage.store_bytes(out.getvalue(), folder="bench", suffix=".jpg").key)  # type: ignore[attr-defined]
    return keys


def run(runs: int, warmup: int) -> dict[str, Any]:
    """Render and seal a summary ``warmup + runs`` times; medians in milliseconds."""
    from sqlalchemy import select

    from app.circle.models import Child
    from app.core import pdf, seal, storage
    from app.core.db import db, utcnow
    from app.meetings.models import MeetingKind
    from app.meetings.models_followup import AgreementStatus, Party
    from app.meetings.services.summary import PrintedItem

    with demo_app() as app:
        child = db.session.scalar(select(Child).where(Child.name == "Noah Bakker"))
        school = child.school
        keys = _posters(storage, 6)
        now = utcnow()
        people = [SimpleNamespace(name=n) for n in ("Sanne Jansen", "Fatima El Amrani")]
        items = [
            PrintedItem(f"Fragment {i + 1}", None, "school", (keys[i],), "0:12–0:24")
            for i in range(6)
        ]
        agreements = [
            SimpleNamespace(
                text=f"Afspraak {i + 1}: een vaste plek naast de juf in de kring",
                party=[Party.SCHOOL, Party.HOME, Party.COACH][i % 3],
                owner=people[i % 2],
                due_on=date.today() + timedelta(days=14 + i),
            )
            for i in range(6)
        ]
        reviewed = [
            SimpleNamespace(
                agreement=SimpleNamespace(text=f"Eerdere afspraak {i + 1}"),
                review=SimpleNamespace(status=AgreementStatus.PARTLY, note="Drie van de vijf"),
            )
            for i in range(1)
        ]
        summary = SimpleNamespace(
            id=1,
            number=1,
            addendum="",
            seen=SEEN,
            need=NEED,
            created_at=now,
            attendees=[{"name": p.name} for p in people],
            created_by=people[0],
            created_by_id=1,
        )
        meeting = SimpleNamespace(
            id=1,
            kind=MeetingKind.SHARED_REVIEW,
            starts_at=now,
            ends_at=now,
            guiding_question=child.guiding_question,
            ical_uid="meeting-bench@beeldbrug",
        )
        evidence = [
            SimpleNamespace(what=w, at=now, who="Sanne Jansen", ip="127.0.0.1", device="bench")
            for w in ("meeting_planned", "meeting_changed", "meeting_finalised")
        ]
        values = {
            "summary": summary,
            "meeting": meeting,
            "child": child,
            "items": items,
            "agreements": agreements,
            "reviewed": reviewed,
            "replaced": None,
            "replaced_document": None,
            "evidence": evidence,
            "school_name": school.name,
            "document_title": "Verslag van een bespreking",
            "issued_at": now,
        }

        def render() -> bytes:
            with pdf.print_context("nl"):
                return pdf.render_pdf("pdf/meeting_summary.html", media_keys=keys, **values)

        def seal_it(rendered: bytes) -> bytes:
            return seal.seal_pdf(rendered, school, reason="Verslag", location=school.city)

        with app.test_request_context(base_url=app.config["BASE_URL"]):
            result = time_sealed(render, seal_it, runs, warmup)
        if os.environ.get("BENCH_SAVE_PDF"):  # to look at what was measured
            Path(os.environ["BENCH_SAVE_PDF"]).write_bytes(result["sealed"])
        return {**result, "images": result["rendered"].count(b"/Subtype /Image")}


def main(argv: list[str] | None = None) -> int:
    """Print the figure; exit 1 when the median is over budget or the seal does not verify."""
    return report(
        "bench.summary_pdf",
        run,
        lambda r: f"summary PDF ({r['pages']} pages, {r['images']} images, {r['kib']} KiB)",
        argv,
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
