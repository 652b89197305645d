"""The browser tests' shared pieces: the live server's handle, the three browser sizes,
signing in as a demo person, opening the child's page, and the reflow check."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from app.demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the virtualenv running the suite: gunicorn and flask too
LOG_TAIL_LINES = 80
CHILD_PATH = re.compile(r"^/children/\d+$")


@dataclass
class LiveServer:
    url: str
    database_url: str
    process: subprocess.Popen[bytes]
    stdout_path: Path
    stderr_path: Path
    #: The server's environment (database, instance folder with the school's key, mail), for
    #: ``flask`` commands that must see what the server sees.
    env: dict[str, str] = field(default_factory=dict)

    def flask(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run ``flask <args>`` as the server would; the exit status is returned, not raised."""
        return subprocess.run(
            [str(BIN / "flask"), "--app", "app", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def seed(self, module: str, *args: str, timeout: float = 120) -> Any:
        """Run ``python -m tests.support.<module> <args>`` against the server's database and
        return the JSON it printed last (what it made)."""
        done = subprocess.run(
            [str(BIN / "python"), "-m", f"tests.support.{module}", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    def stderr_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return tail(self.stderr_path, lines)

    def stdout_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return tail(self.stdout_path, lines)


def tail(path: Path, lines: int) -> str:
    """The last ``lines`` lines of a log file (empty when there is none yet)."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


#: Browser context settings of the three sizes every journey runs at.
DESKTOP_CONTEXT: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}
PHONE_CONTEXT: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
#: WCAG 1.4.10 (reflow): 320 CSS px wide, what 1280 px at 400 % zoom leaves. Not a mobile
#: context: a mobile browser zooms out to fit an overflowing page, which would hide the fault.
NARROW_CONTEXT: dict[str, Any] = {"viewport": {"width": 320, "height": 640}, "has_touch": True}


def sign_in(page: Page, email: str) -> None:
    """Sign in on the home page as the demo person ``email`` (the demo password), and wait
    for the home page, signed in."""
    page.goto("/")
    page.locator("#email").fill(email)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("main form").filter(has=page.locator("#password")).locator(
        "button[type=submit]"
    ).click()
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))


def open_child(page: Page, name: str) -> str:
    """From the home page, open the child's page; return its path (``/children/<id>``)."""
    link = page.locator("main a[href^='/children/']").filter(has_text=name)
    href = link.get_attribute("href") or ""
    assert CHILD_PATH.match(href), href
    link.click()
    page.wait_for_url(f"**{href}")
    return href


# Elements whose right edge lies past the viewport, outermost first: what to mend.
_OVERFLOWING_JS = """() => {
  const width = window.innerWidth;
  const found = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 0.5) {
      const classes = typeof el.className === "string" && el.className.trim()
        ? "." + el.className.trim().split(/\\s+/).join(".") : "";
      found.push(`${el.tagName.toLowerCase()}${classes} (right edge ${Math.round(box.right)} px)`);
    }
  }
  return found.slice(0, 8);
}"""


def assert_no_sideways_scroll(page: Page) -> None:
    """Fail when the page is wider than the viewport, naming the elements that stick out."""
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    viewport = page.viewport_size or {"width": inner_width}
    limit = min(inner_width, viewport["width"])
    if scroll_width > limit:
        culprits = "\n".join(f"    {c}" for c in page.evaluate(_OVERFLOWING_JS))
        pytest.fail(
            f"{page.url} scrolls sideways at {viewport['width']} px: it is {scroll_width} px wide"
            f"\n{culprits}",
            pytrace=False,
        )


class Phone:
    """What every phone page of a journey gets: no sideways scroll, no serious axe finding,
    and a full-page screenshot in ``folder`` named in journey order."""

    def __init__(self, folder: Path, check_a11y: Any) -> None:
        self.folder = folder
        self.check_a11y = check_a11y
        self.count = 0

    def look(self, page: Page, name: str) -> None:
        page.wait_for_load_state("load")
        assert_no_sideways_scroll(page)
        self.check_a11y(page)
        self.count += 1
        page.screenshot(path=self.folder / f"{self.count:02d}-{name}.png", full_page=True)


def draw_signature(page: Page) -> None:
    """Draw a signature on the pad with real pointer moves along a curve."""
    pad = page.locator("[data-signature]")
    expect(pad).to_be_visible()  # shown by the script once it runs
    canvas = pad.locator("canvas.signature-pad")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 100, box
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    points = [
        (x + w * (0.08 + 0.84 * t), y + h * (0.55 - 0.3 * math.sin(t * 5 * math.pi) * (1.1 - t)))
        for t in (i / 40 for i in range(41))
    ]
    page.mouse.move(*points[0])
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*point)
    page.mouse.up()
    # A second stroke: the underline.
    page.mouse.move(x + w * 0.2, y + h * 0.82)
    page.mouse.down()
    page.mouse.move(x + w * 0.5, y + h * 0.8, steps=8)
    page.mouse.move(x + w * 0.75, y + h * 0.84, steps=8)
    page.mouse.up()
    expect(page.locator("input[name=signature]")).to_have_value(
        re.compile(r"^data:image/png;base64,.{200,}")
    )


def pdf_words(path: Path, *, layout: bool = False) -> str:
    """The words of a PDF as poppler's pdftotext reads them, whitespace collapsed: in reading
    order (a table cell's wrapped lines stay together), or as laid out on the page."""
    result = subprocess.run(
        ["pdftotext", *(["-layout"] if layout else []), str(path), "-"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return " ".join(result.stdout.split())
