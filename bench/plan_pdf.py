"""Budget: the support plan's PDF with two signatures (four pages: the plan, the answers
with both signatures, an evidence page per signature), rendered and sealed, in at most
500 ms in a warm process.

Builds the demo school in a scratch instance (SQLite, migrated): Noah's version 1 is sent
and Peter agreed with a drawn signature; here Ilse declines, with a reason and a typed
signature, through the same answers service. Then times what an answer does for its PDF:
render ``pdf/support_plan.html`` with the version's real values
(``app.plans.services.document.pdf_values``: the parts as sent, both answers, the evidence
of each read back from the audit log, the PDF it replaces) and seal it with the school's
key. Reports the median of N warm runs, split into render and seal, and the machine.

    python -m bench plan_pdf          # or: python -m bench.plan_pdf --runs 30
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Any

from bench.pdf_timing import demo_app, report, time_sealed

REASON = (
    "Wij willen eerst met juf praten over het doel in de kring: thuis zien we dat Noah "
    "liever eerst kijkt voordat hij meedoet."
)


def _ilse_declines(session: Any, child: Any) -> None:
    """Ilse's answer on the version in force: a decline with a typed signature."""
    from sqlalchemy import select

    from app.circle import policy
    from app.circle.models import User
    from app.core.db import utcnow
    from app.core.signin import SignInMethod
    from app.core.signing import Evidence, OpenedForm, Signature, SignatureMethod
    from app.plans.services import answers, drafts

    ilse = session.scalar(select(User).where(User.email == "ouder.bakker2@example.nl"))
    seat = policy.seat_for(ilse, child)
    version = drafts.in_force(session, seat)
    answers.answer(
        session,
        seat,
        version,
        answers.AnswerData(False, REASON, ilse.name, Signature(SignatureMethod.TYPED)),
        opened=OpenedForm(utcnow(), secrets.token_hex(16), {}),
        evidence=Evidence("127.0.0.1", "Beeldbrug benchmark", SignInMethod.PASSWORD),
    )
    session.commit()


def run(runs: int, warmup: int) -> dict[str, Any]:
    """Render and seal the plan's PDF ``warmup + runs`` times; medians in milliseconds."""
    from sqlalchemy import select

    from app.circle.models import Child
    from app.core import pdf, seal
    from app.core.db import db, utcnow
    from app.plans.models import PlanVersion
    from app.plans.services import document
    from app.plans.services.document import pdf_values, print_language

    with demo_app() as app:
        child = db.session.scalar(select(Child).where(Child.name == "Noah Bakker"))
        school = child.school
        with app.test_request_context(base_url=app.config["BASE_URL"]):
            _ilse_declines(db.session, child)
            version = db.session.scalar(
                select(PlanVersion).where(
                    PlanVersion.child_id == child.id, PlanVersion.version == 1
                )
            )
            newest = document.document_of(db.session, version)
            values = {
                **pdf_values(db.session, version, child),
                "school_name": school.name,
                "document_title": newest.title if newest else "",
                "issued_at": utcnow(),
            }
            language = print_language()

            def render() -> bytes:
                with pdf.print_context(language):
                    return pdf.render_pdf("pdf/support_plan.html", **values)

            def seal_it(rendered: bytes) -> bytes:
                return seal.seal_pdf(rendered, school, reason="OPP", location=school.city)

            result = time_sealed(render, seal_it, runs, warmup)
        if os.environ.get("BENCH_SAVE_PDF"):  # to look at what was measured
            Path(os.environ["BENCH_SAVE_PDF"]).write_bytes(result["sealed"])
        return {
            **result,
            "signatures": len(values["answers"]),
            "drawn": sum(1 for a in values["answers"] if a.signature_data_uri),
        }


def main(argv: list[str] | None = None) -> int:
    """Print the figure; exit 1 when the median is over budget or the seal does not verify."""
    return report(
        "bench.plan_pdf",
        run,
        lambda r: (
            f"plan PDF ({r['pages']} pages, {r['signatures']} signatures, {r['drawn']} drawn, "
            f"{r['kib']} KiB)"
        ),
        argv,
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
