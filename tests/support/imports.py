"""Reading a package's imports without running it: the layer tests of the app and of the tests
use the same reader."""

from __future__ import annotations

import ast
from pathlib import Path


def module_name(path: Path, root: Path) -> str:
    """The dotted name of ``path``, a file under the package folder ``root``."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path, prefix: str, source: str | None = None) -> set[str]:
    """Every module under ``prefix`` (``"app"``, ``"tests"``) that ``path`` (or ``source`` as
    its text) imports, at the top or inside a function, relative imports resolved;
    ``from app.x import y`` counts as ``app.x.y`` (a module or a name in ``app.x``)."""
    package = module_name(path, root)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    if source is None:
        source = path.read_text(encoding="utf-8")
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name == prefix or name.startswith(f"{prefix}.")}
