"""The player's mends (issue 14 item 6), in chromium against the demo school.

Marking a fragment's start with ``i`` keeps the video playing, so ``o`` a moment later gives a
fragment with a length. A video the server refuses once the page is open (the coach narrowed
who may see it) stops with words that name no reason of this clip; the same words come for a
withdrawal or the end of a membership, which the server answers alike (404).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import DESKTOP_CONTEXT, LiveServer, sign_in
from tests.support.demo import COACH

pytestmark = pytest.mark.e2e

CHILD_NAME = "Noah Bakker"
PARENT = "ouder.bakker@example.nl"
RECORDING = "Kringgesprek op maandag"
SHARED_FRAGMENT = "Noah doet mee in de kring"


def clip_path(page: Page, title: str) -> str:
    page.goto("/")
    child = page.locator("main a[href^='/children/']").filter(has_text=CHILD_NAME)
    href = child.first.get_attribute("href")
    assert href and re.fullmatch(r"/children/\d+", href), href
    page.goto(f"{href}/clips")
    link = page.locator(".clip-list .clip-title a").filter(has_text=title).first
    path = link.get_attribute("href")
    assert path and re.fullmatch(r"/children/\d+/clips/\d+", path), path
    return path


def playing(page: Page) -> bool:
    return page.evaluate(
        "(() => { const v = document.querySelector('video[data-video]');"
        " return !v.paused && !v.ended; })()"
    )


def now(page: Page) -> float:
    return page.evaluate("document.querySelector('video[data-video]').currentTime")


def test_marking_a_fragments_start_keeps_the_video_playing(
    live_server: LiveServer, new_context: Callable[..., Any]
) -> None:
    page = new_context(**DESKTOP_CONTEXT).new_page()
    sign_in(page, COACH)
    page.goto(clip_path(page, RECORDING))
    page.locator("[data-action=toggle]").click()
    page.wait_for_function(
        "() => { const v = document.querySelector('video[data-video]');"
        " return v && !v.paused && v.currentTime > 0.5; }",
        timeout=20_000,
    )
    page.locator("body").press("i")
    marked = now(page)
    page.wait_for_timeout(1200)
    assert playing(page), "marking the start paused the video"
    assert now(page) > marked + 0.5
    page.locator("body").press("o")
    assert not playing(page)  # the out point stops it there
    start = page.locator("#fragment-start").input_value()
    end = page.locator("#fragment-end").input_value()
    assert start and end and start != end
    seconds = page.evaluate(
        "([a, b]) => import('/static/js/player.js').then((m) => [m.parseTime(a), m.parseTime(b)])",
        [start, end],
    )
    assert seconds[1] > seconds[0]


def test_a_video_refused_once_the_page_is_open_says_it_is_no_longer_available(
    live_server: LiveServer,
    new_context: Callable[..., Any],
    check_a11y: Callable[[Page], None],
) -> None:
    parent = new_context(**DESKTOP_CONTEXT).new_page()
    sign_in(parent, PARENT)
    path = clip_path(parent, SHARED_FRAGMENT)
    parent.goto(f"{path}?lang=en")
    gone = parent.locator("[data-video-gone]")
    expect(gone).to_be_hidden()

    coach = new_context(**DESKTOP_CONTEXT).new_page()
    sign_in(coach, COACH)

    def share_with(audience: str) -> None:
        coach.goto(f"{path}/audience")
        coach.locator(f"input[name=audience][value={audience}]").check()
        coach.locator("main form button[type=submit]").click()
        coach.wait_for_load_state("load")

    share_with("team")
    try:
        parent.locator("[data-action=toggle]").click()
        expect(gone).to_be_visible(timeout=15_000)
        expect(gone).to_contain_text("no longer available to you")
        text = gone.inner_text()
        assert SHARED_FRAGMENT not in text and "Sanne" not in text  # nothing of this clip
        expect(parent.locator("[data-video-lost]")).to_be_hidden()
        check_a11y(parent)
    finally:
        share_with("circle")
