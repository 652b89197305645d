"""Documents in tests: the print template made for the tests, its text, and reading a PDF."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path
from typing import Any

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


def header_scopes(data: bytes, tmp_path: Path) -> list[str]:
    """Each table header cell's scope in the PDF's structure, as poppler's pdfinfo reads it."""
    path = tmp_path / "table.pdf"
    path.write_bytes(data)
    tree = subprocess.run(
        ["pdfinfo", "-struct", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return re.findall(r"^\s*TH\b[^\n]*\n(?:\s*/O /Table\n)?\s*/Scope /(\w+)", tree, re.M) or [
        line for line in tree.splitlines() if line.strip().startswith("TH")
    ]


def table_cells(data: bytes) -> tuple[Any, list[Any], list[Any]]:
    """A tagged PDF's catalogue and its structure's table header cells (TH) and data cells
    (TD), in the order of the structure tree, read with pypdf."""
    import pypdf

    root = pypdf.PdfReader(io.BytesIO(data)).trailer["/Root"]
    headers: list[Any] = []
    cells: list[Any] = []

    def walk(node: Any) -> None:
        node = node.get_object()
        if not isinstance(node, dict):
            return
        if node.get("/S") == "/TH":
            headers.append(node)
        if node.get("/S") == "/TD":
            cells.append(node)
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids]:
            if kid is not None and (hasattr(kid, "get_object") or isinstance(kid, dict)):
                walk(kid)

    if "/StructTreeRoot" in root:
        walk(root["/StructTreeRoot"])
    return root, headers, cells
