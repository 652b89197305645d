"""Documents in tests: the print template made for the tests, its text, and reading a PDF."""

from __future__ import annotations

import subprocess
from pathlib import Path

#: A print layout of the tests' own (``tests/documents/templates``), and a body with the
#: characters a PDF most often mangles.
TEST_TEMPLATE = "pdf/test_document.html"
BODY = "Géén café — ‘aanhalingstekens’ één ïdee, Noëlle van ’t Hoff"


def stored_documents(media_root: Path) -> set[str]:
    """The names of the files in the media folder's documents folder."""
    folder = media_root / "documents"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def pdftotext(data: bytes, tmp_path: Path) -> str:
    """The text of a PDF, laid out as on the page (poppler's pdftotext)."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
