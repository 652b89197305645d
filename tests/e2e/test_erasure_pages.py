"""The school admin's erasure pages on a phone: both steps fit 320 px and pass the
accessibility check, and a wrong name is refused on the page with the reason (the demo's
children stay: the server's database lives for the whole session)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import NARROW_CONTEXT, LiveServer, assert_no_sideways_scroll, sign_in

pytestmark = pytest.mark.e2e

ADMIN = "beheer@regenboog.example"


def test_the_erasure_steps_fit_a_phone_and_refuse_a_wrong_name(
    live_server: LiveServer, new_context: Callable[..., Any], check_a11y: Callable[[Page], None]
) -> None:
    page = new_context(**NARROW_CONTEXT).new_page()
    sign_in(page, ADMIN)
    page.goto("/admin/")
    page.get_by_role("link", name="Dit kind wissen… (Elif Yılmaz)").click()
    expect(page.locator("h1")).to_have_text("Elif Yılmaz wissen")
    expect(page.get_by_text("Stap 1 van 2")).to_be_visible()
    assert_no_sideways_scroll(page)
    check_a11y(page)

    page.get_by_role("link", name="Verder naar wissen").click()
    expect(page.get_by_text("Stap 2 van 2")).to_be_visible()
    assert_no_sideways_scroll(page)
    check_a11y(page)

    page.get_by_label("Volledige naam van het kind").fill("Elif Yilmas")
    page.get_by_label("Ik begrijp dat dit niet ongedaan kan worden gemaakt").check()
    page.get_by_role("button", name="Dit kind definitief wissen").click()
    expect(page.get_by_text("er is niets gewist")).to_be_visible()
    assert_no_sideways_scroll(page)
    check_a11y(page)
    page.goto("/admin/")
    expect(page.locator(".name-list")).to_contain_text("Elif Yılmaz")
