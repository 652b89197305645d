"""A parent's request for access, on a 320 px phone: Peter Bakker asks for an export of Noah's
data from Noah's page, sees it ready, downloads the zip once; the page then says it was
downloaded, and a second try from a tab opened before gets the clear "already downloaded"
page (410). The test server runs the job at once (``immediate://``)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.browser import NARROW_CONTEXT, open_child, sign_in
from tests.support.demo import CHILD_NAME, PETER

pytestmark = pytest.mark.e2e


def test_a_parent_exports_downloads_once_and_is_refused_the_second_time(
    new_context: Callable[..., Any], check_a11y: Callable[..., None], tmp_path: Path
):
    page = new_context(**NARROW_CONTEXT).new_page()
    sign_in(page, PETER[0])
    open_child(page, CHILD_NAME)
    page.get_by_role("link", name="Maak een export").click()
    check_a11y(page)
    page.get_by_role("button", name="Maak een export").click()
    download_button = page.get_by_role("button", name="Download de export")
    expect(download_button).to_be_visible()
    expect(page.locator(".export-state")).to_contain_text("klaar om te downloaden")
    check_a11y(page)
    # The same page in a second tab, opened before the download.
    stale = page.context.new_page()
    stale.goto(page.url)

    with page.expect_download() as download_info:
        download_button.click()
    saved = tmp_path / "export.zip"
    download_info.value.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        assert "Export van de gegevens van Noah Bakker" in archive.read("README.txt").decode()
        records = json.loads(archive.read("records.json"))
    assert records["requested_by"] == {"name": PETER[1], "role": "parent"}

    # The button is spent once clicked (no double download); reloaded, the page says so.
    expect(download_button).to_be_disabled()
    page.reload()
    expect(page.locator(".export-state")).to_contain_text("gedownload op")
    expect(download_button).to_have_count(0)
    # The stale tab still offers the button: the file is gone, and the page says why.
    stale.get_by_role("button", name="Download de export").click()
    expect(stale.locator("h1")).to_have_text("Niet meer beschikbaar")
    expect(stale.locator("main")).to_contain_text("al gedownload")
    check_a11y(stale)
