"""The floors of the house (README, "Architecture"), held to every import of ``app/``.

From the top down; each floor imports only the floors below it:

    the root      app/__init__.py, cli.py, models.py, tasks.py, demo*.py: anything
    children      the children list and the child's page: features, circle, core
    features      FEATURE_ORDER, top to bottom: one imports only features after it
    circle        who is in which circle and what they may do: core and extensions
    core          machinery: core only
    extensions    Flask extensions: nothing of app

Nothing imports the root or the children from below, a feature never imports another
feature's views, and a feature's services never import its own views.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.imports import imports_of as imports_of_package
from tests.support.imports import module_name

APP = Path(__file__).resolve().parent.parent / "app"

#: The features, top to bottom (README). Meetings and plans take their place when they exist:
#: plans above meetings above clips.
FEATURE_ORDER = ("admin", "plans", "meetings", "clips", "consent", "documents", "people", "auth")
ROOT_MODULES = frozenset(
    {
        "app",
        "app.cli",
        "app.models",
        "app.tasks",
        "app.demo",
        "app.demo_footage",
        "app.demo_meetings",
        "app.demo_plans",
    }
)


def imports_of(path: Path, root: Path) -> set[str]:
    """Every ``app`` module ``path`` imports (see :func:`tests.support.imports.imports_of`)."""
    return imports_of_package(path, root, "app")


def floor_of(module: str) -> tuple[str, str]:
    """(floor, package) of an ``app`` module: ``("feature", "clips")``, ``("core", "core")``…"""
    if module in ROOT_MODULES or module.startswith("app.create_app"):
        return "root", "app"
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else ""
    if top in {"core", "circle", "children", "extensions"}:
        return top, top
    if top in FEATURE_ORDER:
        return "feature", top
    if top in {"cli", "models", "tasks", "demo", "demo_footage", "demo_meetings", "demo_plans"}:
        return "root", "app"
    return "unknown", top


ALLOWED_FLOORS = {
    "extensions": set(),
    "core": {"core"},
    "circle": {"core", "extensions", "circle"},
    "feature": {"core", "extensions", "circle", "feature"},
    "children": {"core", "extensions", "circle", "feature", "children"},
    "root": {"core", "extensions", "circle", "feature", "children", "root"},
}


def violation(importer: str, imported: str) -> str | None:
    """Why ``importer`` may not import ``imported``, or None when the floors allow it."""
    floor, package = floor_of(importer)
    target_floor, target = floor_of(imported)
    if floor == "unknown":
        return f"{importer} stands on no floor: add its package to the table"
    if target_floor == "unknown":
        return f"{importer} imports {imported}, which stands on no floor"
    if target_floor not in ALLOWED_FLOORS[floor]:
        return f"{importer} ({floor}) imports {imported} ({target_floor}), a floor above or beside"
    if floor == "feature" and target_floor == "feature" and target != package:
        if FEATURE_ORDER.index(target) < FEATURE_ORDER.index(package):
            return f"{importer} imports {imported}: {target} stands above {package}"
        if f".{target}.views" in f"{imported}." or imported.endswith(f".{target}.bp"):
            return f"{importer} imports {imported}: another feature's pages"
    same_feature = floor == "feature" and target == package
    if same_feature and ".services" in importer and f".{package}.views" in f"{imported}.":
        return f"{importer} imports {imported}: services never import views"
    return None


def violations(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        importer = module_name(path, root)
        for imported in sorted(imports_of(path, root)):
            problem = violation(importer, imported)
            if problem:
                found.append(problem)
    return found


def test_every_import_of_the_app_keeps_to_its_floor():
    assert violations(APP) == []


def test_every_package_of_the_app_stands_on_a_floor():
    packages = {p.name for p in APP.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    on_a_floor = {"core", "circle", "children", *FEATURE_ORDER}
    assert packages <= on_a_floor, packages - on_a_floor


def plant(root: Path, module: str, source: str) -> None:
    path = root.joinpath(*module.split(".")).with_suffix(".py")
    path.parent.mkdir(parents=True, exist_ok=True)
    for parent in path.relative_to(root.parent).parents:
        init = root.parent / parent / "__init__.py"
        if parent != Path(".") and not init.exists():
            init.write_text("")
    path.write_text(source)


def test_a_planted_upward_import_is_caught(tmp_path):
    root = tmp_path / "app"
    plant(tmp_path, "app.core.fine", "from app.core import db\n")
    plant(tmp_path, "app.clips.services.fine", "from app.consent import services\n")
    assert violations(root) == []

    plant(tmp_path, "app.core.planted", "def f():\n    from app.circle.models import User\n")
    plant(tmp_path, "app.circle.planted", "from app.people import services\n")
    plant(tmp_path, "app.consent.planted", "from ..clips.models import Clip\n")
    plant(tmp_path, "app.documents.planted", "from app.children import views\n")
    plant(tmp_path, "app.clips.sideways", "from app.consent.views import sign\n")
    plant(tmp_path, "app.clips.services.planted", "from app import create_app\n")
    plant(tmp_path, "app.extensions", "from app.core.jobs import huey\n")
    found = violations(root)
    assert len(found) == 7, found
    assert any("app.core.planted" in f and "app.circle.models.User" in f for f in found)
    assert any("app.consent.planted" in f and "clips stands above consent" in f for f in found)
    assert any("another feature's pages" in f for f in found)
