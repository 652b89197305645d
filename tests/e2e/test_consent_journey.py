"""Journey 2: a parent signs consent on a phone, downloads the signed PDF, and later withdraws.

Ilse Bakker, a demo parent of Noah, reads the consent text in the language she asks for, answers
every part on her own, draws her signature and signs; the PDF she downloads carries her answers
and passes ``flask verify-pdf``, and fails it once a single byte changes. She then withdraws one
part in two clicks. Peter Bakker, Noah's other parent, changes his answers with the keyboard
alone, signing by typing his name.

The interface language may change (catalogues are translated separately), so pages are located
by ids, classes and link targets; what is asserted is data: names, and the purpose labels of the
school's consent text, which come from the database.

Order does not matter. The demo data has Peter answering yes to every part but peer review; his
keyboard signing gives those same answers again, and Ilse always signs the same answers, so what
the status must show after each of her steps follows from the rules whatever ran before.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import (
    DESKTOP_CONTEXT,
    NARROW_CONTEXT,
    PHONE_CONTEXT,
    LiveServer,
    draw_signature,
    open_child,
    pdf_words,
    sign_in,
)
from tests.support.demo import CHILD_NAME, ILSE, ILSE_ANSWERS, PETER, PETER_ANSWERS, PURPOSES

pytestmark = pytest.mark.e2e

LABELS = {
    "nl": {
        "school_recording": "Filmen op school",
        "home_recording": "Opnamen van thuis",
        "team_viewing": "Bekijken door het team in de kring",
        "peer_review": "Tonen in intervisie",
        "retention": "Bewaren na het traject",
    },
    "en": {
        "school_recording": "Filming at school",
        "home_recording": "Recordings from home",
        "team_viewing": "Viewing by the team in the circle",
        "peer_review": "Showing in peer review",
        "retention": "Keeping after the trajectory",
    },
}

#: DESIGN.md §4 rule 3: granted while someone granted and nobody refused or withdrew; a yes beside
#: a no is a disagreement, which freezes the purpose.
AFTER_SIGNING = {
    "school_recording": "granted",
    "home_recording": "disagreement",
    "team_viewing": "granted",
    "peer_review": "disagreement",
    "retention": "granted",
}
#: Ilse withdraws her yes to peer review; Peter's no stands, so nobody grants it any more.
WITHDRAWN = "peer_review"
AFTER_WITHDRAWAL = {**AFTER_SIGNING, WITHDRAWN: "withdrawn"}

RECORD_PDF = "a[href*='/consent/records/'][href$='/pdf']"
RECORD_PDF_PATH = re.compile(r"/consent/records/\d+/pdf")


@dataclass(frozen=True)
class Viewport:
    id: str
    context_args: dict[str, Any]
    language: str  # the language Ilse signs in, and so the language of her PDF


PHONE = Viewport(
    id="phone",
    context_args=PHONE_CONTEXT,
    language="en",
)
DESKTOP = Viewport(id="desktop", context_args=DESKTOP_CONTEXT, language="nl")
#: WCAG 1.4.10: the whole journey, Dutch with its long words, at 320 px without sideways scrolling.
NARROW = Viewport(id="narrow", context_args=NARROW_CONTEXT, language="nl")


# --- helpers ---------------------------------------------------------------------------------


def consent_page(child_path: str) -> re.Pattern[str]:
    """The consent page; after a form sent from a page read with ?lang=, in that language."""
    return re.compile(rf"{re.escape(child_path)}/consent(\?lang=[a-z]+)?$")


def pdf_count(page: Page, child_path: str) -> int:
    """How many signed PDFs the consent overview lists for the signed-in person, read apart from
    the page on screen."""
    response = page.request.get(f"{child_path}/consent")
    assert response.ok, response.status
    return len(RECORD_PDF_PATH.findall(response.text()))


def label_on(page: Page, purpose: str) -> str:
    """A purpose's label as a page in the interface language shows it."""
    return LABELS.get(page.locator("html").get_attribute("lang") or "nl", LABELS["nl"])[purpose]


def status_of(page: Page, purpose: str) -> Any:
    """The state badge of one purpose in the status list."""
    label = label_on(page, purpose)
    row = page.locator("ul.purpose-status li.purpose-row").filter(
        has=page.locator(".purpose-label", has_text=re.compile(f"^{re.escape(label)}$"))
    )
    return row.locator(".state")


def expect_states(page: Page, states: dict[str, str]) -> None:
    for purpose, state in states.items():
        expect(status_of(page, purpose)).to_have_class(re.compile(rf"\bstate-{state}\b"))


def submit_consent(page: Page) -> None:
    page.locator("form.consent-form button[type=submit]").click()


def flip_byte_in_signed_range(data: bytes) -> bytes:
    """The PDF with one byte changed inside what its seal covers: in ``/Type /Page``."""
    match = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data)
    assert match, "the PDF has no seal"
    first_end = int(match.group(1)) + int(match.group(2))
    at = data.find(b"/Type /Page")
    assert 0 <= at < first_end, "no /Type /Page inside the signed range"
    at += len(b"/Type /Pag")  # the final "e": still a well-formed PDF, now with another name
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def pdf_images(path: Path) -> list[tuple[int, int, int]]:
    """(page, width, height) of each image in the PDF, masks left out."""
    result = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, text=True, timeout=30, check=True
    )
    rows = [line.split() for line in result.stdout.splitlines()[2:]]
    return [(int(r[0]), int(r[3]), int(r[4])) for r in rows if len(r) > 4 and r[2] == "image"]


# --- journey 2 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("vp", [PHONE, DESKTOP, NARROW], ids=lambda v: v.id)
def test_parent_signs_downloads_and_withdraws(
    vp: Viewport,
    live_server: LiveServer,
    new_context: Callable[..., Any],
    check_a11y: Callable[[Page], None],
    tmp_path: Path,
) -> None:
    email, name = ILSE
    page = new_context(**vp.context_args).new_page()
    sign_in(page, email)

    # --- from Noah's page to the consent form ----------------------------------------------
    child_path = open_child(page, CHILD_NAME)
    expect(page.get_by_role("heading", level=1)).to_have_text(CHILD_NAME)
    sign_path = f"{child_path}/consent/sign"
    page.locator(f"main a[href='{sign_path}']").click()
    page.wait_for_url(f"**{sign_path}")
    expect(page.locator("fieldset.purpose")).to_have_count(len(PURPOSES))
    before = pdf_count(page, child_path)

    # --- the text in English on request; then the language she signs in -------------------
    page.goto(f"{sign_path}?lang=en")
    expect(page.locator("article.consent-text")).to_have_attribute("lang", "en")
    expect(page.locator("fieldset.purpose legend").first).to_contain_text(LABELS["en"][PURPOSES[0]])
    if vp.language != "en":
        page.goto(f"{sign_path}?lang={vp.language}")
        expect(page.locator("article.consent-text")).to_have_attribute("lang", vp.language)
    legends = page.locator("fieldset.purpose legend")
    for index, purpose in enumerate(PURPOSES):
        expect(legends.nth(index)).to_contain_text(LABELS[vp.language][purpose])
        # Nothing pre-ticked: silence is no.
        expect(page.locator(f"input[name={purpose}]:checked")).to_have_count(0)
    check_a11y(page)

    # --- sending nothing: errors, and nothing stored ---------------------------------------
    submit_consent(page)
    expect(page.locator(".form-errors")).to_be_visible()
    assert page.url.endswith(f"{sign_path}?lang={vp.language}"), page.url
    for purpose in PURPOSES:
        expect(page.locator(f"#{purpose}-error")).to_be_visible()
    for field in ("typed_name", "signature", "confirm"):
        expect(page.locator(f"#{field}-error")).to_be_visible()
    expect(page.locator("#typed_name")).to_have_attribute("aria-invalid", "true")
    assert pdf_count(page, child_path) == before
    check_a11y(page)

    # --- answering every part, drawing, signing ---------------------------------------------
    for purpose, answer in ILSE_ANSWERS.items():
        page.locator(f"input[name={purpose}][value={answer}]").check()
    page.locator("#typed_name").fill(name)
    draw_signature(page)
    page.locator("#confirm").check()
    submit_consent(page)
    page.wait_for_url(consent_page(child_path))
    expect(page.locator(".flash-success")).to_be_visible()
    expect_states(page, AFTER_SIGNING)  # her "no" reads differently from the parts both granted
    assert pdf_count(page, child_path) == before + 1  # one record: the empty try stored nothing
    check_a11y(page)

    # --- the signed PDF ----------------------------------------------------------------------
    newest = page.locator(RECORD_PDF).first
    signed_href = newest.get_attribute("href")
    with page.expect_download() as download_info:
        newest.click()
    download = download_info.value
    signed = tmp_path / "consent.pdf"
    download.save_as(signed)
    data = signed.read_bytes()
    assert data.startswith(b"%PDF-")
    text = pdf_words(signed, layout=True)
    for expected in (CHILD_NAME, name, "UTC", *LABELS[vp.language].values()):
        assert expected in text, f"{expected!r} missing from the PDF text"
    # The drawn signature, as wide as the pad: wider than high (three times on a wide screen,
    # less on a narrow phone, where the pad keeps room for a finger).
    images = pdf_images(signed)
    assert any(page_no == 1 and w >= 1.9 * h for page_no, w, h in images), images

    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(flip_byte_in_signed_range(data))
    # The two checks are separate processes; they run while the browser goes on.
    pool = ThreadPoolExecutor(max_workers=2)
    verifications = [
        pool.submit(live_server.flask, "verify-pdf", str(path)) for path in (signed, tampered)
    ]
    pool.shutdown(wait=False)

    # --- withdrawing one part in two clicks -------------------------------------------------
    page.locator(f"a[href*='/consent/withdraw?purpose={WITHDRAWN}']").click()
    page.wait_for_url(re.compile(rf"/consent/withdraw\?purpose={WITHDRAWN}$"))
    expect(page.locator("main")).to_contain_text(label_on(page, WITHDRAWN))
    check_a11y(page)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(consent_page(child_path))
    expect(page.locator(".flash-success")).to_be_visible()
    expect_states(page, AFTER_WITHDRAWAL)
    expect(page.locator(f"a[href*='/consent/withdraw?purpose={WITHDRAWN}']")).to_have_count(0)
    expect(page.locator(RECORD_PDF)).to_have_count(before + 2)  # and the withdrawal's own
    expect(page.locator(RECORD_PDF).first).not_to_have_attribute("href", signed_href or "")
    expect(page.locator(f"{RECORD_PDF}[href='{signed_href}']")).to_have_count(1)
    check_a11y(page)

    verified, refused = (future.result() for future in verifications)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "VERIFIED" in verified.stdout
    assert refused.returncode != 0, refused.stdout + refused.stderr
    assert "NOT VERIFIED" in refused.stderr


def test_parent_changes_answers_by_keyboard(
    live_server: LiveServer,
    new_context: Callable[..., Any],
    check_a11y: Callable[[Page], None],
) -> None:
    email, name = PETER
    page = new_context(**DESKTOP.context_args).new_page()
    sign_in(page, email)
    child_path = open_child(page, CHILD_NAME)
    sign_path = f"{child_path}/consent/sign"
    page.locator(f"main a[href='{sign_path}']").click()
    page.wait_for_url(f"**{sign_path}")
    expect(page.locator("[data-signature]")).to_be_visible()
    before = pdf_count(page, child_path)

    # Every part by keyboard: Space ticks a radio, an arrow key moves to and ticks "no", Tab
    # goes on to the next part.
    keyboard = page.keyboard
    page.locator(f"#{PURPOSES[0]}-0").focus()
    for index, purpose in enumerate(PURPOSES):
        if index:
            keyboard.press("Tab")
        expect(page.locator(f"#{purpose}-0")).to_be_focused()
        keyboard.press("Space" if PETER_ANSWERS[purpose] == "yes" else "ArrowDown")
        expect(
            page.locator(f"input[name={purpose}][value={PETER_ANSWERS[purpose]}]")
        ).to_be_checked()

    keyboard.press("Tab")
    expect(page.locator("#typed_name")).to_be_focused()
    keyboard.type(name)
    keyboard.press("Tab")
    expect(page.locator("[data-signature-clear]")).to_be_focused()
    keyboard.press("Tab")
    expect(page.locator("#type_signature")).to_be_focused()
    keyboard.press("Space")
    expect(page.locator("#type_signature")).to_be_checked()
    expect(page.locator("[data-signature]")).to_be_hidden()  # the drawing pad steps aside
    keyboard.press("Tab")
    expect(page.locator("#confirm")).to_be_focused()
    keyboard.press("Space")
    expect(page.locator("#confirm")).to_be_checked()
    check_a11y(page)
    keyboard.press("Tab")
    expect(page.locator("form.consent-form button[type=submit]")).to_be_focused()
    keyboard.press("Enter")

    page.wait_for_url(consent_page(child_path))
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator(RECORD_PDF)).to_have_count(before + 1)
    check_a11y(page)
