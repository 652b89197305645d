"""The tests' own layout (STYLE.md, "Tests"): no test module imports another.

What several test modules share lives in ``tests/support/`` (helpers, and the fixture plugins
the root conftest registers) or, for fixtures, in a ``conftest.py`` that pytest finds by
itself. A test module that imports another runs that module's tests' setup twice, ties the
two together by accident, and hides where a helper belongs; a conftest imported by name may be
loaded twice under two names. So every import of a ``tests`` module, at the top or inside a
function, relative ones resolved, must name ``tests.support`` or a module under it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.imports import imports_of
from tests.support.imports import module_name as support_module_name

TESTS = Path(__file__).resolve().parent
ALLOWED = "tests.support"


def module_name(path: Path) -> str:
    return support_module_name(path, TESTS)


def imported_test_modules(path: Path, source: str | None = None) -> set[str]:
    """Every ``tests`` module (or name in one) that ``path`` (or ``source`` as its text)
    imports, relative imports resolved: ``from tests.x import y`` counts as ``tests.x.y``."""
    return imports_of(path, TESTS, "tests", source)


def is_allowed(module: str) -> bool:
    return module == ALLOWED or module.startswith(ALLOWED + ".")


def registered_plugins() -> list[str]:
    """The modules the root conftest registers with ``pytest_plugins``."""
    tree = ast.parse((TESTS / "conftest.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in node.targets
        ):
            return list(ast.literal_eval(node.value))
    return []


def python_files() -> list[Path]:
    return sorted(TESTS.rglob("*.py"))


def test_the_walk_sees_the_tests():
    names = {module_name(path) for path in python_files()}
    assert "tests.test_test_layout" in names and "tests.conftest" in names
    assert any(name.startswith("tests.clips.") for name in names)


@pytest.mark.parametrize("path", python_files(), ids=lambda p: str(p.relative_to(TESTS)))
def test_no_test_module_imports_another(path: Path):
    wrong = sorted(m for m in imported_test_modules(path) if not is_allowed(m))
    assert wrong == [], f"{path.relative_to(TESTS)} imports {wrong}: move it to tests/support/"


def test_the_support_package_holds_no_tests():
    found = [
        str(path.relative_to(TESTS))
        for path in (TESTS / "support").rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    ]
    assert found == []
    assert not list((TESTS / "support").rglob("test_*.py"))


def test_the_registered_plugins_live_in_support():
    plugins = registered_plugins()
    assert plugins, "the root conftest registers the footage fixtures"
    assert all(is_allowed(name) for name in plugins), plugins


def test_the_checker_sees_relative_imports():
    source = "from .test_upload import x\nfrom ..support import footage\nimport tests.conftest\n"
    found = imported_test_modules(TESTS / "clips" / "test_probe.py", source)
    assert found == {"tests.clips.test_upload.x", "tests.support.footage", "tests.conftest"}
    assert sorted(m for m in found if not is_allowed(m)) == [
        "tests.clips.test_upload.x",
        "tests.conftest",
    ]
