"""The import rules of the layout: a feature's services never import its task module (the
jobs import the services), and the people feature, below clips, never imports it."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def importers(folder: str, module: str) -> list[str]:
    return sorted(
        str(path.relative_to(APP))
        for path in (APP / folder).rglob("*.py")
        if any(m == module or m.startswith(f"{module}.") for m in imports_of(path))
    )


def test_clip_services_never_import_the_clip_tasks():
    assert importers("clips/services", "app.clips.tasks") == []


def test_the_people_feature_never_imports_the_clips_feature():
    assert importers("people", "app.clips") == []
