"""The clip services leave the request alone (DESIGN.md §5): they take domain objects and
plain data, raise domain errors (``app.core.errors``) and never ``abort()``; views and the
error handlers turn those into responses. Read from the source, so a new service is held to
it too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[2] / "app" / "clips" / "services"
#: What belongs to a request or a response; a service that needs one is a view in disguise.
REQUEST_BOUND = frozenset({"abort", "request", "Response", "make_response", "redirect", "g"})


def flask_names(path: Path) -> set[str]:
    """The names ``path`` takes from flask or werkzeug, anywhere in the module."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in {
            "flask",
            "werkzeug",
        }:
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Attribute) and node.attr == "abort":
            found.add("abort")
    return found


@pytest.mark.parametrize("path", sorted(SERVICES.glob("*.py")), ids=lambda p: p.name)
def test_a_clip_service_uses_nothing_of_the_request(path: Path):
    assert flask_names(path) & REQUEST_BOUND == set()
