"""The upload page when the school's server has no room (issue 15 item 5), in a real browser.

The server's side of a full disk (507, the partial removed at once) is proven with an injected
ENOSPC in tests/clips/test_full_disk.py; here the live server's answer to the second part of
an upload is replaced by that very answer (507 and the server's sentence), so the page is seen
as a teacher sees it: the sentence that it is not her file, progress that shows only what the
server confirmed (never a negative speed), no endless retrying. Then an upload that fails for
another reason leaves its unfinished part on the server, and the page removes it (tus DELETE).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests.support.browser import DESKTOP_CONTEXT, LiveServer, sign_in

pytestmark = pytest.mark.e2e

TEACHER = "juf.fatima@regenboog.example"
CHILD_NAME = "Noah Bakker"
FULL = (
    "De Beeldbrug-server van de school heeft geen ruimte meer om opnamen te bewaren. Dit is "
    "geen probleem met je bestand. Er is niets van bewaard; meld het bij de school en probeer "
    "het later opnieuw."
)


def open_upload_page(page: Page) -> str:
    sign_in(page, TEACHER)
    href = (
        page.locator("main a[href^='/children/']").filter(has_text=CHILD_NAME).get_attribute("href")
    )
    assert href and re.fullmatch(r"/children/\d+", href)
    page.goto(f"{href}/clips/upload")
    expect(page.locator("#upload-form")).to_be_visible()
    return href


def test_a_full_disk_says_it_is_not_her_file_and_a_stopped_upload_can_be_removed(
    live_server: LiveServer, new_context: Callable[..., Any], tmp_path: Path
) -> None:
    video = tmp_path / "kring.mp4"
    video.write_bytes(os.urandom(10 * 1024 * 1024))  # two parts of 8 MiB at most
    page = new_context(**DESKTOP_CONTEXT).new_page()
    open_upload_page(page)

    patches: list[str] = []

    def second_part_finds_the_disk_full(route: Route) -> None:
        if route.request.method != "PATCH":
            route.continue_()
            return
        patches.append(route.request.headers.get("upload-offset", ""))
        if len(patches) == 1:
            route.continue_()
        else:
            route.fulfill(
                status=507,
                headers={"Tus-Resumable": "1.0.0", "Content-Type": "text/plain; charset=utf-8"},
                body=FULL,
            )

    page.route("**/clips/uploads/*", second_part_finds_the_disk_full)
    page.locator("#upload-title").fill("Kring, volle schijf")
    page.locator("#upload-file").set_input_files(video)
    page.locator("#upload-start").click()

    error = page.locator("#upload-error")
    expect(error).to_be_visible(timeout=30_000)
    expect(error).to_have_text(FULL)
    assert patches == ["0", str(8 * 1024 * 1024)]  # no retrying a full disk
    # What the server confirmed: the first part, 80 %; no speed below zero ever shown.
    assert page.locator("#upload-progress").evaluate("p => p.value") == 80
    assert "-" not in (page.locator("#upload-speed").text_content() or "")
    expect(page.locator("#upload-cancel")).to_be_hidden()  # the server removed it already
    page.unroute("**/clips/uploads/*")

    # --- another failure leaves the first part on the server: the page removes it ----------
    page.reload()
    deleted: list[int] = []

    def refuse_the_second_part(route: Route) -> None:
        if route.request.method == "PATCH" and route.request.headers.get("upload-offset") != "0":
            route.fulfill(status=400, headers={"Tus-Resumable": "1.0.0"}, body="Even niet.")
            return
        response = route.fetch()
        if route.request.method == "DELETE":
            deleted.append(response.status)
        route.fulfill(response=response)

    page.route("**/clips/uploads/*", refuse_the_second_part)
    page.locator("#upload-title").fill("Kring, afgebroken")
    page.locator("#upload-file").set_input_files(video)
    page.locator("#upload-start").click()
    expect(page.locator("#upload-error")).to_have_text("Even niet.", timeout=30_000)
    cancel = page.locator("#upload-cancel")
    expect(cancel).to_be_visible()
    cancel.click()
    expect(page.locator("#upload-message")).to_have_text(
        "De upload is gestopt. Er is niets bewaard.", timeout=10_000
    )
    assert deleted == [204]
