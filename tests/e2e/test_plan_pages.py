"""The support plan in the browser, on the demo school: at 320 px (phone) every plan page of
the coach and of a parent reflows and passes the accessibility check; on a laptop two
versions stand side by side. Noah's demo plan has version 1 sent and signed by Peter, and a
draft (version 2) that adopted a need from his shared review; Ilse has yet to answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.browser import NARROW_CONTEXT, LiveServer, open_child, sign_in
from tests.support.demo import CHILD_NAME

pytestmark = pytest.mark.e2e

COACH = "coach@regenboog.example"
ILSE = "ouder.bakker2@example.nl"


def test_the_coach_reads_and_edits_the_plan_on_a_phone(
    live_server: LiveServer, new_context: Callable[..., Any], check_a11y: Any
) -> None:
    page = new_context(**NARROW_CONTEXT).new_page()
    sign_in(page, COACH)
    open_child(page, CHILD_NAME)
    page.get_by_role("link", name="Open het ontwikkelingsperspectiefplan").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ontwikkelingsperspectiefplan")
    check_a11y(page)
    page.get_by_role("link", name="Concept bewerken (versie 2)").click()
    expect(page.get_by_text("Onderwijsbehoefte genoemd in het overleg van")).to_be_visible()
    check_a11y(page)
    page.get_by_role("link", name="Ontwikkelingsperspectiefplan (OPP)", exact=True).click()
    page.get_by_role("link", name="De twee nieuwste versies naast elkaar vergelijken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Versie 1 en versie 2 naast elkaar")
    check_a11y(page)


def test_a_parent_reads_the_sent_version_and_its_answer_form_on_a_phone(
    live_server: LiveServer, new_context: Callable[..., Any], check_a11y: Any
) -> None:
    page = new_context(**NARROW_CONTEXT).new_page()
    sign_in(page, ILSE)
    open_child(page, CHILD_NAME)
    page.get_by_role("link", name="Open het ontwikkelingsperspectiefplan").click()
    check_a11y(page)
    # Peter signed version 1 in the demo; Ilse reads that, and answers herself.
    expect(page.locator("#answers")).to_contain_text("Peter Bakker: Gaat akkoord")
    # The draft is the school's: its adopted need is not on the parent's page.
    expect(page.get_by_text("Noah heeft nodig dat juf in zijn buurt blijft")).to_have_count(0)
    page.get_by_role("link", name="Geef je antwoord op het handelingsdeel").click()
    expect(page.locator("#typed_name")).to_be_visible()
    check_a11y(page)


def test_two_versions_stand_side_by_side_on_a_laptop(
    live_server: LiveServer, new_context: Callable[..., Any]
) -> None:
    page = new_context(viewport={"width": 1280, "height": 800}).new_page()
    sign_in(page, COACH)
    child = open_child(page, CHILD_NAME)
    page.goto(f"{child}/plan/compare")
    heads = page.locator("table.plan-diff").first.locator("th")
    left, right = heads.nth(0).bounding_box(), heads.nth(1).bounding_box()
    assert left and right and abs(left["y"] - right["y"]) < 1 and right["x"] > left["x"]
