"""Reflow (WCAG 1.4.10): at 320 CSS px no page of the portal scrolls sideways, for anyone.

Every demo account signs in at 320 × 640 and walks every kind of page it can reach by following
the links it is shown (the menu, the children, their consent pages, the school's pages): one
page of each shape of address, Noah's first (other journeys add children of their own to the
same server, with the same pages). Visitors who are not signed in walk the sign-in pages.
First Ilse Bakker answers Noah's consent form at that width, differently from Peter, so Noah's
pages show the longest state there is: the parents disagree. Her answers are the ones the
consent journey gives, so the order of the tests does not matter.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest
from playwright.sync_api import Page, expect

from app.demo import PEOPLE
from tests.support.browser import (
    NARROW_CONTEXT,
    LiveServer,
    assert_no_sideways_scroll,
    open_child,
    sign_in,
)
from tests.support.demo import CHILD_NAME, ILSE, ILSE_ANSWERS

pytestmark = pytest.mark.e2e

#: Links that lead to a file, not a page.
NOT_A_PAGE = re.compile(r"(/pdf|\.pdf|\.ics)$|^/static/")
#: More kinds of page than any demo account can reach: a walk that runs away stops here.
MAX_PAGES = 120
#: The numbers in an address (ids, page numbers): pages that differ only there are one kind.
NUMBERS = re.compile(r"\d+")
#: Pages without a link to them from a signed-in page: the e-mailed links, spent or unknown.
ANONYMOUS_PAGES = ("/sign-in", "/forgot-password", "/reset?token=unknown", "/invitation?token=x")


def page_paths(page: Page) -> list[str]:
    """The same-site pages the current page links to, as paths with their query."""
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(page.url))
    paths = []
    for href in hrefs:
        url, _fragment = urldefrag(href)
        if not url.startswith(origin + "/"):
            continue
        path = url[len(origin) :]
        if not NOT_A_PAGE.search(urlsplit(path).path):
            paths.append(path)
    return paths


def walk(page: Page, first: tuple[str, ...] = ("/",)) -> list[str]:
    """Visit one page of every kind reachable from ``first`` by links (the pages of ``first``
    themselves before any other of their kind); each must reflow at this width."""
    queue: deque[str] = deque(first)
    kinds = {NUMBERS.sub("N", path) for path in first}
    visited: list[str] = []
    while queue and len(visited) < MAX_PAGES:
        path = queue.popleft()
        response = page.goto(path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        page.wait_for_load_state("load")
        assert_no_sideways_scroll(page)
        visited.append(path)
        for found in page_paths(page):
            kind = NUMBERS.sub("N", found)
            if kind not in kinds:
                kinds.add(kind)
                queue.append(found)
    assert len(visited) < MAX_PAGES, f"the walk ran away: {visited}"
    return visited


def ilse_disagrees_at_320(page: Page) -> str:
    """Ilse answers Noah's consent form on the narrow screen, typing her signature; return the
    path of Noah's page."""
    email, name = ILSE
    sign_in(page, email)
    child_path = open_child(page, CHILD_NAME)
    page.goto(f"{child_path}/consent/sign")
    assert_no_sideways_scroll(page)  # the "no" of every part within reach, not cut off
    for purpose, answer in ILSE_ANSWERS.items():
        choice = page.locator(f"input[name={purpose}][value={answer}]")
        choice.scroll_into_view_if_needed()
        expect(choice).to_be_in_viewport(ratio=1)
        choice.check()
    page.locator("#typed_name").fill(name)
    page.locator("#type_signature").check()
    page.locator("#confirm").check()
    page.locator("form.consent-form button[type=submit]").click()
    page.wait_for_url(f"**{child_path}/consent")
    expect(page.locator(".state-disagreement").first).to_be_visible()
    return child_path


def test_no_page_scrolls_sideways_at_320_px_for_any_visitor(
    live_server: LiveServer, new_context: Callable[..., Any]
) -> None:
    noah = ilse_disagrees_at_320(new_context(**NARROW_CONTEXT).new_page())

    anonymous = new_context(**NARROW_CONTEXT).new_page()
    for path in ANONYMOUS_PAGES:
        anonymous.goto(path)
        assert_no_sideways_scroll(anonymous)

    walked: dict[str, list[str]] = {}
    for _key, email, *_rest in PEOPLE:
        page = new_context(**NARROW_CONTEXT).new_page()
        sign_in(page, email)
        # Noah's pages first, where he is in the circle: they show the longest states.
        mine = page_paths(page)
        walked[email] = walk(page, ("/", noah, f"{noah}/consent") if noah in mine else ("/",))

    # The walk really went through the portal: each member of Noah's circle reached his page
    # and its consent overview, where the disagreement shows, and the admin her school's pages.
    for email in ("coach@regenboog.example", "juf.fatima@regenboog.example",
                  "ouder.bakker@example.nl", "ouder.bakker2@example.nl"):  # fmt: skip
        assert {"/", "/account"} <= set(walked[email]), walked[email]
        assert {noah, f"{noah}/consent"} <= set(walked[email]), walked[email]
    assert any(p.startswith("/admin/consent/") for p in walked["beheer@regenboog.example"])
    assert "/documents/verify" in walked["coach@regenboog.example"]
    assert any(p.endswith("/invite") for p in walked["coach@regenboog.example"])


@pytest.mark.parametrize("width", [320, 390])
def test_the_signing_pages_headings_stand_inside_their_cards(
    live_server: LiveServer, new_context: Callable[..., Any], width: int
) -> None:
    # A parent of Elif who has not answered: the signing form with every part.
    page = new_context(viewport={"width": width, "height": 800}, has_touch=True).new_page()
    sign_in(page, "ouder.yilmaz@example.nl")
    child = open_child(page, "Elif Yılmaz")
    page.goto(f"{child}/consent/sign")
    legends = page.locator("main form fieldset > legend")
    assert legends.count() >= 6
    outside = page.evaluate(
        """() => [...document.querySelectorAll('main form fieldset > legend')]
          .filter((legend) => {
            const box = legend.getBoundingClientRect();
            const card = legend.parentElement.getBoundingClientRect();
            return box.top < card.top + 1 || box.left < card.left || box.right > card.right;
          })
          .map((legend) => legend.textContent.trim())"""
    )
    assert outside == []
