"""Budget: a consent PDF, rendered and sealed, in at most 500 ms in a warm process.

Renders a representative two-page consent-like document (Dutch text, a table, a drawn
signature as PNG) through the real print layout, seals it with a school key, and reports the
median of N warm runs, with the render and seal parts, and the machine it ran on.

    python -m bench pdf_sign            # or: python -m bench.pdf_sign --runs 30
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

BUDGET_MS = 500.0
HERE = Path(__file__).resolve().parent


def machine_info() -> dict[str, str]:
    """CPU model, core count and Python version of this machine."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": model,
        "cores": str(cores),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }


def signature_png() -> str:
    """A drawn-signature-like PNG (transparent, 600x200) as a data: URL."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (600, 200), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    points = [
        (40 + x * 5, 110 + int(45 * ((x % 17) - 8) / 8 * (1 if x % 34 < 17 else -1)))
        for x in range(100)
    ]
    draw.line(points, fill=(20, 30, 60, 255), width=5, joint="curve")
    draw.line([(60, 150), (540, 140)], fill=(20, 30, 60, 255), width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def document_values() -> dict[str, Any]:
    """The values of the sample consent: enough Dutch text for two A4 pages."""
    paragraphs = [
        "Op onze school werken wij met schoolvideo-interactiebegeleiding (SVIB). Een getrainde "
        "videobegeleider maakt korte opnamen van gewone momenten in de klas en bekijkt die samen "
        "met de leerkracht. Het gaat daarbij niet om een oordeel over de leerkracht of over uw "
        "kind, maar om de vraag: wat heeft dit kind nodig, en hoe kunnen wij dat bieden?",
        "De opnamen duren meestal vijf tot vijftien minuten. Daaruit kiezen wij enkele fragmenten "
        "van ongeveer tien seconden, waarin iets goed gaat: een geslaagd moment, een initiatief "
        "dat ontvangen wordt, een beurtwisseling die klopt. Die fragmenten bespreken wij met u en "
        "met de leerkracht, op school of thuis, in een gezamenlijke beeldbespreking.",
        "Ook u kunt thuis een korte opname maken en die in Beeldbrug zetten. Alleen de mensen in "
        "de kring rond uw kind zien de beelden: de videobegeleider, de leerkracht, u zelf en "
        "eventueel een specialist die u samen uitnodigt. Niemand kan de beelden downloaden; "
        "iedere keer dat iemand een fragment bekijkt, wordt dat vastgelegd en kunt u dat zien.",
        "Na afloop van het traject worden de beelden vernietigd, uiterlijk na de bewaartermijn "
        "die hieronder staat. Het verslag van de besprekingen en dit toestemmingsformulier "
        "bewaart de school in het leerlingdossier, volgens de regels die daarvoor gelden.",
        "U kunt uw toestemming altijd intrekken, helemaal of per doel, zonder opgaaf van reden. "
        "Dat werkt meteen: vanaf dat moment worden de beelden waarvoor de toestemming gold niet "
        "meer getoond, en zij worden vernietigd. Ook kunt u op elk moment vragen welke gegevens "
        "wij over uw kind vastleggen, en een kopie daarvan krijgen.",
    ]
    answers = [
        (
            "Opnamen maken in de klas, voor de begeleiding van de leerkracht",
            True,
            "tot 3 maanden na het traject",
        ),
        ("Opnamen maken thuis en die delen met de kring", True, "tot 3 maanden na het traject"),
        ("Fragmenten laten zien aan het schoolteam (intervisie binnen school)", False, "—"),
        ("Fragmenten laten zien in intervisie buiten de kring, zonder naam", False, "—"),
        ("Bewaren van het verslag in het leerlingdossier", True, "tot 2 jaar na uitschrijving"),
    ]
    rights = [
        "Uw toestemming intrekken, helemaal of per doel; dat werkt direct.",
        "Inzien wie de beelden van uw kind heeft bekeken, en wanneer.",
        "Een kopie vragen van alle gegevens over uw kind (inzage en export).",
        "Vragen om de gegevens van uw kind te laten wissen wanneer het traject is afgesloten.",
        "Een klacht indienen bij de school of bij de Autoriteit Persoonsgegevens.",
    ]
    return {
        "school_name": "Basisschool De Linde — Sint-Joris",
        "document_title": "Toestemming video-opnamen",
        "child_name": "Noëlle van ’t Hoff-Çelik",
        "group_name": "groep 5b",
        "signer_name": "Zoë Ünal-de Vries",
        "signed_on": "23 november 2026, 14:05",
        "template_version": "versie 3 (nl)",
        "text_sha256": "9f2c0a5d4e3b1f8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b",
        "guiding_question": "Wat heeft Noëlle nodig om bij de instructie te blijven, en hoe "
        "kunnen wij dat op school én thuis bieden?",
        "paragraphs": paragraphs,
        "answers": answers,
        "rights": rights,
        "signature_png": signature_png(),
        "ip": "192.0.2.15",
    }


def run(runs: int, warmup: int, out: Path | None = None) -> dict[str, Any]:
    """Render and seal the sample ``warmup + runs`` times; return the medians in ms."""
    os.environ.setdefault("BEELDBRUG_ENV", "test")
    from jinja2 import ChoiceLoader, FileSystemLoader
    from pyhanko.pdf_utils.reader import PdfFileReader

    from app import create_app
    from app.core import pdf
    from config import TestConfig

    scratch = Path(tempfile.mkdtemp(prefix="beeldbrug-bench-"))
    app = create_app(
        TestConfig,
        DATABASE_URL="sqlite:///:memory:",
        MEDIA_ROOT=scratch / "media",
        SIGNING_DIR=scratch / "signing",
    )
    # The sample template lives with the benchmark, not among the product's templates.
    loaders = [FileSystemLoader(HERE / "templates"), app.jinja_env.loader]
    app.jinja_env.loader = ChoiceLoader(loaders)  # type: ignore[arg-type]
    school = SimpleNamespace(id=1, name="Basisschool De Linde — Sint-Joris", city="Amersfoort")
    values = {**document_values(), "issued_at": datetime.now(UTC)}

    totals: list[float] = []
    renders: list[float] = []
    seals: list[float] = []
    sealed = b""
    with app.app_context():
        for i in range(warmup + runs):
            start = time.perf_counter()
            rendered = pdf.render_pdf("pdf/consent_sample.html", **values)
            middle = time.perf_counter()
            sealed = pdf.seal_pdf(rendered, school, reason="Toestemming", location=school.city)
            end = time.perf_counter()
            if i >= warmup:
                totals.append((end - start) * 1000)
                renders.append((middle - start) * 1000)
                seals.append((end - middle) * 1000)
        check = pdf.verify_pdf(sealed, pdf.trusted_certificates())
    shutil.rmtree(scratch, ignore_errors=True)
    if out is not None:
        out.write_bytes(sealed)
    pages = int(PdfFileReader(io.BytesIO(sealed)).root["/Pages"]["/Count"])
    return {
        "median_ms": statistics.median(totals),
        "render_ms": statistics.median(renders),
        "seal_ms": statistics.median(seals),
        "max_ms": max(totals),
        "pages": pages,
        "bytes": len(sealed),
        "verified": check.ok,
    }


def main(argv: list[str] | None = None) -> int:
    """Print the figures; exit 1 when the median is over budget or the seal does not verify."""
    parser = argparse.ArgumentParser(prog="python -m bench.pdf_sign")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--out", type=Path, help="also write the sealed sample PDF here")
    args = parser.parse_args(argv)
    info = machine_info()
    result = run(args.runs, args.warmup, args.out)
    verdict = "OK" if result["median_ms"] <= BUDGET_MS and result["verified"] else "OVER BUDGET"
    print(f"machine: {info['cpu']}, {info['cores']} cores", end=", ")
    print(f"Python {info['python']}, {info['platform']}")
    print(
        f"consent PDF ({result['pages']} pages, {result['bytes'] / 1024:.0f} KiB), render + seal, "
        f"median of {args.runs} warm runs: {result['median_ms']:.0f} ms "
        f"(render {result['render_ms']:.0f} ms, seal {result['seal_ms']:.0f} ms, "
        f"slowest {result['max_ms']:.0f} ms); budget {BUDGET_MS:.0f} ms: {verdict}"
    )
    print(f"seal verifies: {result['verified']}")
    return 0 if verdict == "OK" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
