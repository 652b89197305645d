"""Journey 3 (issue 7): a school recording goes from a teacher's phone to the parents.

At a phone's viewport, Fatima El Amrani (Noah's teacher in the demo school) uploads a recording
through the real upload page (tus in the browser), sees it become ready, and marks a moment
with the keyboard alone. Peter Bakker, Noah's father, sees nothing of it. Sanne Jansen, the
coach, shares it with the circle and plays it. Peter then plays it on his phone (the time
advances, a seek lands), and his "who watched" page names the coach and himself.

The demo data gives Noah a signed consent for filming at school and viewing by the team, which
the consent journey never takes away; the clip made here has a title of its own, so the
journey does not depend on the order the browser tests run in. Pages are found by link targets,
ids and classes: the interface language may change.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import NARROW_CONTEXT, PHONE_CONTEXT, LiveServer, sign_in
from tests.support.demo import COACH

pytestmark = pytest.mark.e2e

CHILD_NAME = "Noah Bakker"
TEACHER = "juf.fatima@regenboog.example"
PARENT = ("ouder.bakker@example.nl", "Peter Bakker")
COACH_NAME = "Sanne Jansen"
CLIP_PATH = re.compile(r"^/children/\d+/clips/(\d+)$")
#: Converting a few seconds of video inline in the upload's last request, on a busy machine.
READY_TIMEOUT_MS = 90_000


def child_path(page: Page) -> str:
    href = (
        page.locator("main a[href^='/children/']").filter(has_text=CHILD_NAME).get_attribute("href")
    )
    assert href and re.fullmatch(r"/children/\d+", href), href
    return href


def clip_link(page: Page, title: str) -> Any:
    return page.locator(".clip-list .clip-title a").filter(has_text=title)


def play_for_a_while(page: Page) -> float:
    """Start the video as a person would (the play button is a user gesture), let it run,
    and return where it got to."""
    video = page.locator("video[data-video]")
    expect(video).to_be_visible()
    page.locator("[data-action=toggle]").click()
    page.wait_for_function(
        "() => { const v = document.querySelector('video[data-video]');"
        " return v && !v.paused && v.currentTime > 0.5; }",
        timeout=20_000,
    )
    return page.evaluate("document.querySelector('video[data-video]').currentTime")


def test_teacher_uploads_coach_shares_parent_watches(
    live_server: LiveServer,
    new_context: Callable[..., Any],
    check_a11y: Callable[[Page], None],
    videos: dict[str, Path],
) -> None:
    title = f"Kring met de bal {secrets.token_hex(3)}"

    # --- the teacher uploads a school recording from her phone -------------------------------
    teacher = new_context(**PHONE_CONTEXT).new_page()
    sign_in(teacher, TEACHER)
    child = child_path(teacher)
    teacher.goto(child)
    teacher.locator(f"a[href='{child}/clips']").click()
    teacher.wait_for_url(f"**{child}/clips")
    check_a11y(teacher)
    teacher.locator(f"a[href='{child}/clips/upload']").click()
    form = teacher.locator("#upload-form")
    expect(form).to_be_visible()
    expect(teacher.locator("#upload-file")).to_have_attribute("accept", "video/*")
    teacher.locator("#upload-title").fill(title)
    teacher.locator("#upload-recorded-on").fill("2026-11-02")
    teacher.locator("#upload-file").set_input_files(videos["long"])
    teacher.locator("#upload-start").click()
    expect(teacher.locator("#upload-status")).to_be_visible()
    # The page moves on once every byte has arrived (and, with jobs inline, been converted).
    teacher.wait_for_url(f"**{child}", timeout=READY_TIMEOUT_MS)

    teacher.goto(f"{child}/clips")
    link = clip_link(teacher, title)
    expect(link).to_have_count(1)
    clip_path = link.get_attribute("href") or ""
    match = CLIP_PATH.match(clip_path)
    assert match, clip_path
    link.click()
    # Ready: the processing panel gives way to the player (its module reloads the page).
    expect(teacher.locator("video[data-video]")).to_be_visible(timeout=READY_TIMEOUT_MS)
    check_a11y(teacher)

    # --- a moment, by keyboard alone ---------------------------------------------------------
    teacher.locator("body").press("m")
    tag = teacher.locator("#add-moment [name=tag]")
    expect(tag).to_be_focused()
    expect(teacher.locator("#add-moment [name=start]")).not_to_have_value("")
    teacher.keyboard.press("ArrowDown")
    if not tag.input_value():  # a first, empty choice: one more
        teacher.keyboard.press("ArrowDown")
    assert tag.input_value()
    teacher.keyboard.press("Tab")
    note = "Noah gooit de bal terug en kijkt juf aan"
    teacher.keyboard.type(note)
    for _ in range(12):  # on to the save button, past the audience choice
        teacher.keyboard.press("Tab")
        if teacher.evaluate("document.activeElement.type") == "submit":
            break
    assert teacher.evaluate("document.activeElement.closest('#add-moment') !== null")
    teacher.keyboard.press("Enter")
    expect(teacher.locator("#moments")).to_contain_text(note)
    # The player draws the moment on the timeline, as a link to its time, named like the list.
    mark = teacher.locator("[data-timeline] a.mark")
    expect(mark).to_have_count(1)
    time = teacher.locator("#moments .moment-time").first.inner_text().split()[-1]
    assert mark.get_attribute("aria-label").startswith(time)
    assert "t=" in mark.get_attribute("href")

    # --- the parent sees nothing yet ---------------------------------------------------------
    parent = new_context(**PHONE_CONTEXT).new_page()
    sign_in(parent, PARENT[0])
    parent.goto(f"{child}/clips")
    expect(clip_link(parent, title)).to_have_count(0)
    assert parent.goto(clip_path).status == 404
    assert parent.request.get(f"{clip_path}/video").status == 404

    # --- the coach shares it with the circle, and watches it --------------------------------
    coach = new_context(**PHONE_CONTEXT).new_page()
    sign_in(coach, COACH)
    coach.goto(f"{child}/clips")
    coach.locator(f"a[href='{clip_path}/audience']").click()
    check_a11y(coach)
    coach.locator("input[name=audience][value=circle]").check()
    coach.locator("main form button[type=submit]").click()
    coach.wait_for_url(f"**{child}/clips")
    card = coach.locator(".clip-card").filter(has=coach.locator(f"a[href='{clip_path}']"))
    expect(card.locator(".badge-audience-circle")).to_have_count(1)
    coach.goto(clip_path)
    play_for_a_while(coach)

    # --- the parent plays it on his phone, and seeks ---------------------------------------
    parent.goto(f"{child}/clips")
    expect(clip_link(parent, title)).to_have_count(1)
    check_a11y(parent)
    clip_link(parent, title).click()
    parent.wait_for_url(f"**{clip_path}")
    reached = play_for_a_while(parent)
    assert reached > 0.5
    parent.evaluate(
        "() => new Promise((done) => { const v = document.querySelector('video[data-video]');"
        " v.addEventListener('seeked', done, { once: true }); v.currentTime = 9; })"
    )
    after_seek = parent.evaluate("document.querySelector('video[data-video]').currentTime")
    assert 8.5 <= after_seek <= 12.5, after_seek
    # The moment was for the school team: not on the parent's page.
    expect(parent.locator("main")).not_to_contain_text(note)

    # --- who watched ----------------------------------------------------------------------
    parent.goto(f"{child}/clips/watched")
    rows = parent.locator("table tbody tr").filter(has_text=title)
    expect(rows.filter(has_text=COACH_NAME)).not_to_have_count(0)
    expect(rows.filter(has_text=PARENT[1])).not_to_have_count(0)
    check_a11y(parent)


def test_the_clips_page_reflows_at_320_px(
    live_server: LiveServer,
    new_context: Callable[..., Any],
    check_a11y: Callable[[Page], None],
) -> None:
    page = new_context(**NARROW_CONTEXT).new_page()
    sign_in(page, COACH)
    child = child_path(page)
    page.goto(f"{child}/clips")
    expect(page.locator(".clip-card").first).to_be_visible()
    check_a11y(page)  # no sideways scroll, no serious axe finding
