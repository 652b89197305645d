"""Imported macros built once, fixed addresses remembered, and addresses of ids built once
(app.core.templating)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import url_for
from jinja2 import meta, nodes

from app.core.templating import fixed_url, id_url

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def imported_without_context(env) -> set[str]:
    found = set()
    for path in TEMPLATES.rglob("*.html"):
        tree = env.parse(path.read_text(encoding="utf-8"))
        for node in tree.find_all((nodes.Import, nodes.FromImport)):
            assert isinstance(node.template, nodes.Const), path
            if not node.with_context:
                found.add(node.template.value)
    return found


def test_macros_imported_without_context_read_only_the_environments_globals(app):
    # Built once and kept, such a module never sees a page's variables: a macro that read one
    # (``current_user``, ``lang``, a view's value) would go blank.
    env = app.jinja_env
    imported = imported_without_context(env)
    assert {"_macros/forms.html", "clips/_moments.html"} <= imported
    for name in sorted(imported):
        tree = env.parse(env.loader.get_source(env, name)[0])
        own = {n.name for n in tree.find_all(nodes.Name) if n.ctx == "store"}
        unknown = meta.find_undeclared_variables(tree) - set(env.globals) - own
        assert unknown == set(), f"{name} reads {sorted(unknown)}"


def test_an_imported_template_is_built_once(app, client, circle, login_as):
    login_as(circle.coach)
    forms = app.jinja_env.get_template("_macros/forms.html")
    with app.test_request_context("/"):
        first = forms._get_default_module({"some": "context"})
        assert forms._get_default_module({"other": "context"}) is first
    assert client.get(f"/children/{circle.child.id}").status_code == 200
    with app.test_request_context("/"):
        assert forms._get_default_module() is first


@pytest.mark.parametrize("script_root", ["", "/portaal"])
@pytest.mark.parametrize(
    "endpoint, values",
    [("children.index", {}), ("auth.account", {}), ("static", {"filename": "css/app.css"})],
)
def test_a_fixed_address_is_url_for_under_the_requests_script_root(
    app, script_root, endpoint, values
):
    with app.test_request_context("/", base_url=f"http://localhost{script_root}/"):
        assert fixed_url(endpoint, **values) == url_for(endpoint, **values)
        assert fixed_url(endpoint, **values).startswith(f"{script_root}/")


@pytest.mark.parametrize("script_root", ["", "/portaal"])
def test_an_address_of_ids_is_what_url_for_builds(app, script_root):
    """``id_url`` (an address built once with stand-ins, the ids put in) is ``url_for``'s
    address, with ``{id}`` where the hole is, under any script root; the same endpoint with
    other names, or other ids, is another address."""
    cases = [
        ("meetings.mode_item", "item_id", {"child_id": 7, "meeting_id": 12}),
        ("meetings.mode_agreements", None, {"child_id": 7, "meeting_id": 120}),
        ("meetings.mode_agreements", None, {"meeting_id": 120, "child_id": 7}),
        ("meetings.save_notes", None, {"child_id": 70, "meeting_id": 7, "item_id": 1}),
        ("meetings.attendance", None, {"child_id": 1, "meeting_id": 11}),
        ("meetings.show", None, {"child_id": 2147483600, "meeting_id": 1}),
        ("meetings.show", "meeting_id", {"child_id": 3}),
        ("meetings.summary_pdf", None, {"child_id": 3, "meeting_id": 4, "number": 2}),
        ("children.show", None, {"child_id": 33}),
        ("children.index", None, {}),
        ("clips.show", "clip_id", {"child_id": 3}),
        ("clips.video", "clip_id", {"child_id": 33}),
    ]
    with app.test_request_context("/", base_url=f"http://localhost{script_root}/"):
        for endpoint, hole, ids in cases:
            for _ in range(2):  # built, then remembered
                found = id_url(endpoint, hole, **ids)
                if hole is None:
                    assert found == url_for(endpoint, **ids)
                else:
                    assert found.format(id=42) == url_for(endpoint, **ids, **{hole: 42})
                assert found.startswith(f"{script_root}/")
        other = {"child_id": 8, "meeting_id": 9}
        assert id_url("meetings.show", **other) == url_for("meetings.show", **other)


def test_the_menu_links_to_the_pages(app, client, circle, login_as):
    login_as(circle.coach)
    page = client.get("/").get_data(as_text=True)
    with app.test_request_context("/"):
        for endpoint in ("children.index", "auth.account", "auth.sign_out"):
            assert f'"{url_for(endpoint)}"' in page
        assert f'href="{url_for("static", filename="css/app.css")}"' in page
