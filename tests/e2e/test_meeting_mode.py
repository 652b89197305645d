"""Journey 5, meeting mode (issue 12): the coach leads a shared review from one screen at
1280 px, with the keyboard alone.

The meeting is made in the server's database first (``tests.support.meeting_mode``): a child
of its own with a home/school pair and a second fragment on the agenda, and an agreement
still open from an earlier meeting. Meeting mode is a sequence of steps, each at its own
address: the items, then the agreements. Once the page is open, everything is a key press:
``k`` plays the pair side by side and pauses both, ``n`` goes to the item's notes, typing
saves itself, Tab reaches the cited moment's choice and link (Enter jumps the player there),
``]`` / ``[`` go to the next and previous step (notes still waiting saved first), and a
reload shows what was typed. A teacher's laptop then saves the same notes first: the
coach's next autosave is refused, the page says so, and the coach's text stays in the field.
``a`` goes to a new agreement on the agreements' step, made and sent with the keyboard (a
note not saved when the connection failed is kept and saved when its step is back), and Tab
reaches the earlier agreement's review. Without script the steps are links and every form
saves with its button, back to its step.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import DESKTOP_CONTEXT, NARROW_CONTEXT, LiveServer, sign_in
from tests.support.demo import COACH
from tests.support.meeting_mode import EARLIER_AGREEMENT
from tests.support.meetings import days_ahead
from tests.support.server_world import TEACHER

pytestmark = pytest.mark.e2e

BOTH_PLAYING = """() => [...document.querySelectorAll('#item-%d video')]
  .every((v) => !v.paused && v.currentTime > 0.3)"""
#: "Saved at 10:02" in the page's language.
SAVED_AT = re.compile(r"\d:\d\d")
BOTH_PAUSED = "() => [...document.querySelectorAll('#item-%d video')].every((v) => v.paused)"


@pytest.fixture
def meeting(live_server: LiveServer) -> dict[str, Any]:
    made: dict[str, Any] = live_server.seed("meeting_mode")
    return made


def ready(page: Page) -> None:
    """Wait for the step's script: it shows what only works with it (the keys' help) before
    it listens to the keys, in the same task."""
    expect(page.locator(".keys-help")).to_be_visible()


def saved(page: Page) -> Any:
    """Wait for the next autosave of a notes form, and return its response."""
    return page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/notes"), timeout=15_000
    )


def test_the_coach_runs_a_meeting_with_the_keyboard_alone(
    live_server: LiveServer,
    new_context: Callable[..., Any],
    check_a11y: Callable[[Page], None],
    meeting: dict[str, Any],
) -> None:
    first, second = meeting["items"]
    url = f"/children/{meeting['child_id']}/meetings/{meeting['meeting_id']}/mode?lang=en"
    page = new_context(**DESKTOP_CONTEXT).new_page()
    sign_in(page, COACH)
    page.goto(url)
    item = page.locator(f"#item-{first}")
    expect(item).to_be_visible()
    expect(page.locator(f"#item-{second}")).to_have_count(0)  # the next step's
    expect(page.locator(".mode-question-text")).to_contain_text("aan tafel te blijven zitten")
    # The pair side by side: two players in one row, each with its moment on the timeline.
    boxes = [v.bounding_box() for v in item.locator("video").all()]
    assert len(boxes) == 2 and boxes[0] and boxes[1]
    assert abs(boxes[0]["y"] - boxes[1]["y"]) < 2 and boxes[1]["x"] > boxes[0]["x"]
    expect(item.locator(".timeline .mark")).to_have_count(2)
    check_a11y(page)

    # k: one play for both, k again: one pause for both.
    page.keyboard.press("k")
    page.wait_for_function(BOTH_PLAYING % first, timeout=20_000)
    expect(item.locator("[data-item-toggle] [data-label-pause]")).to_be_visible()
    page.keyboard.press("k")
    page.wait_for_function(BOTH_PAUSED % first)

    # n: to the notes, Tab to "what does Mila need?"; typing saves itself.
    page.keyboard.press("n")
    expect(item.locator(f"textarea[name='item-{first}-seen']")).to_be_focused()
    page.keyboard.press("Tab")
    need = item.locator(f"textarea[name='item-{first}-need']")
    expect(need).to_be_focused()
    with saved(page) as response:
        page.keyboard.type("Een vaste plek aan tafel, dichtbij een volwassene")
    assert response.value.status == 200
    expect(item.locator("[data-save-status]")).to_have_text(SAVED_AT)

    # Tab to the moment that shows it, choose the home fragment's moment with the arrows.
    page.keyboard.press("Tab")
    select = item.locator(f"select[name='item-{first}-moment']")
    expect(select).to_be_focused()
    with saved(page) as response:
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
    assert response.value.status == 200
    assert select.input_value() == str(meeting["moments"]["home"])
    # Its time shows, and Enter on it starts the home fragment's player there.
    page.keyboard.press("Tab")
    cited = item.locator("[data-cited] a")
    expect(cited).to_be_focused()
    expect(cited).to_contain_text("0:02")
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"() => {{ const v = document.querySelector('#player-{first}-b video');"
        " return v.currentTime >= 1.9 && v.currentTime < 4; }"
    )
    page.keyboard.press("k")  # pause both (the home fragment was playing)
    page.wait_for_function(BOTH_PAUSED % first)

    # ] to the next step, [ back; the step survives a reload, and so do the notes.
    steps = f"/children/{meeting['child_id']}/meetings/{meeting['meeting_id']}/mode"
    page.keyboard.press("Escape")
    page.keyboard.press("]")
    page.wait_for_url(f"**{steps}/items/{second}")
    expect(page.locator(f"#item-{second}")).to_be_visible()
    ready(page)
    expect(page.locator(f".mode-agenda a[href$='/items/{second}']")).to_have_attribute(
        "aria-current", "step"
    )
    expect(item).to_have_count(0)
    page.reload()
    expect(page.locator(f"#item-{second}")).to_be_visible()
    ready(page)
    # Notes typed on this step and the step left at once: saved before it is left.
    page.keyboard.press("n")
    with saved(page) as response:
        page.keyboard.type("De kring duurt lang")
        page.keyboard.press("Escape")
        page.keyboard.press("[")
        page.wait_for_url(f"**{steps}/items/{first}")
    assert response.value.status == 200
    expect(item).to_be_visible()
    ready(page)
    expect(need).to_have_value("Een vaste plek aan tafel, dichtbij een volwassene")
    expect(select).to_have_value(str(meeting["moments"]["home"]))

    # A teacher's laptop saves the same item's notes first.
    teacher = new_context(**DESKTOP_CONTEXT).new_page()
    sign_in(teacher, TEACHER)
    teacher.goto(url + f"#item-{first}")
    ready(teacher)
    teacher.keyboard.press("n")
    expect(teacher.locator(f"textarea[name='item-{first}-seen']")).to_be_focused()
    with saved(teacher) as response:
        teacher.keyboard.type("Mila kijkt steeds naar de deur")
    assert response.value.status == 200

    # The coach types on the page opened before that save: refused, said, text kept.
    page.keyboard.press("n")
    seen = item.locator(f"textarea[name='item-{first}-seen']")
    expect(seen).to_be_focused()
    with saved(page) as response:
        page.keyboard.type("Ze staat op als het stil wordt")
    assert response.value.status == 409
    status = item.locator("[data-save-status]")
    expect(status).to_have_attribute("role", "alert")
    expect(status).to_have_class(re.compile("save-status-alert"))
    expect(item.locator("[data-stale-saved]")).to_contain_text("Mila kijkt steeds naar de deur")
    expect(seen).to_have_value("Ze staat op als het stil wordt")
    # Merged by hand, the form's own button (Enter on it) saves over the newer version.
    page.keyboard.press("End")
    page.keyboard.type("; kijkt naar de deur")
    for _field in ("need", "moment", "cited moment", "save button"):
        page.keyboard.press("Tab")
    expect(item.locator("form[data-notes] button[type=submit]")).to_be_focused()
    with saved(page) as response:
        page.keyboard.press("Enter")
    assert response.value.status == 200
    expect(status).to_have_text(SAVED_AT)
    with saved(page) as response:
        page.keyboard.press("Enter")  # the button still works: saved again, nothing new
    assert response.value.status == 200
    page.reload()
    expect(seen).to_have_value(re.compile(r"stil wordt; kijkt naar de deur$"))


def test_meeting_mode_works_on_a_phone_and_reflows_at_320_px(
    live_server: LiveServer,
    new_context: Callable[..., Any],
    check_a11y: Callable[[Page], None],
    meeting: dict[str, Any],
) -> None:
    first, _second = meeting["items"]
    page = new_context(**NARROW_CONTEXT).new_page()
    sign_in(page, COACH)
    page.goto(f"/children/{meeting['child_id']}/meetings/{meeting['meeting_id']}/mode")
    item = page.locator(f"#item-{first}")
    expect(item).to_be_visible()
    # On a narrow screen the pair is one above the other, with the one play button.
    boxes = [v.bounding_box() for v in item.locator("video").all()]
    assert boxes[0] and boxes[1] and boxes[1]["y"] > boxes[0]["y"] + boxes[0]["height"] - 1
    item.locator("[data-item-toggle]").click()
    page.wait_for_function(BOTH_PLAYING % first, timeout=20_000)
    item.locator("[data-item-toggle]").click()
    page.wait_for_function(BOTH_PAUSED % first)
    check_a11y(page)  # no sideways scroll, no serious axe finding


def notes_post(page: Page) -> Any:
    return page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/notes"), timeout=15_000
    )


def tab_to(page: Page, target: Any, most: int = 30) -> None:
    """Press Tab until ``target`` has the focus (at most ``most`` times)."""
    for _ in range(most):
        if target.evaluate("(el) => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    expect(target).to_be_focused()


def choose(page: Page, select: Any, value: str) -> None:
    """Arrow down the focused ``select`` until ``value`` is chosen."""
    expect(select).to_be_focused()
    for _ in range(10):
        if select.input_value() == value:
            return
        page.keyboard.press("ArrowDown")
    assert select.input_value() == value


def test_the_coach_makes_and_reviews_agreements_with_the_keyboard_alone(
    live_server: LiveServer,
    new_context: Callable[..., Any],
    check_a11y: Callable[[Page], None],
    meeting: dict[str, Any],
) -> None:
    first, second = meeting["items"]
    url = f"/children/{meeting['child_id']}/meetings/{meeting['meeting_id']}/mode?lang=en"
    page = new_context(**DESKTOP_CONTEXT, locale="en-US").new_page()
    sign_in(page, COACH)
    page.goto(url)
    expect(page.locator(f"#item-{first}")).to_be_visible()
    check_a11y(page)  # with the agreement and review forms on the page

    # A note typed while the connection fails: kept in this browser, not on the server yet.
    page.route("**/notes", lambda route: route.abort())
    page.keyboard.press("n")
    seen = page.locator(f"textarea[name='item-{first}-seen']")
    expect(seen).to_be_focused()
    page.keyboard.type("Mila wiebelt op haar stoel")
    expect(page.locator(f"#item-{first} [data-save-status]")).to_contain_text("connection failed")
    page.unroute("**/notes")
    page.keyboard.press("Escape")
    page.keyboard.press("]")  # on to the second item before the agreement
    expect(page.locator(f"#item-{second}")).to_be_visible()
    ready(page)

    # a: to the agreements' step, at the new agreement's text; Tab through party and owner;
    # Enter sends it.
    page.keyboard.press("a")
    page.wait_for_url(re.compile(r"/mode/agreements#agreement-text$"))
    text = page.locator("#agreement-text")
    expect(text).to_be_focused()
    expect(text).to_be_in_viewport()
    page.keyboard.type("Juf Fatima zet Mila's stoel aan de hoek van de tafel")
    page.keyboard.press("Tab")
    choose(page, page.locator("select#party"), "school")
    page.keyboard.press("Tab")
    choose(page, page.locator("select#owner"), str(meeting["teacher_id"]))
    submit = page.locator("#agreements button[type=submit]")
    tab_to(page, submit)
    # No due date: the agreements' step again, the typed text kept, the focus on the date
    # and why beside it.
    with page.expect_navigation():
        page.keyboard.press("Enter")
    due_field = page.locator("input#due_on")
    expect(due_field).to_be_focused()
    # (In Dutch from the agreements' step on: the steps' links do not carry ?lang=en on.)
    expect(page.locator("#due_on-error")).to_have_text("Vul dit veld in.")
    expect(text).to_have_value("Juf Fatima zet Mila's stoel aan de hoek van de tafel")
    due = days_ahead(21)
    page.keyboard.type(due.strftime("%m%d%Y"))  # the date field as en-US shows it
    expect(due_field).to_have_value(due.isoformat())
    tab_to(page, submit)
    # Recorded: back at the agreements' step.
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/mode/agreements(\?lang=en)?#agreements$"))
    agreements = page.locator("#agreements")
    expect(agreements).to_be_focused()
    expect(agreements.locator(".agreement-list")).to_contain_text("aan de hoek van de tafel")
    expect(agreements.locator(".agreement-list")).to_contain_text("Fatima El Amrani")
    expect(page.locator("[data-step-agreements]")).to_have_attribute("aria-current", "step")
    expect(page.locator(".flash-success")).to_be_visible()

    # The first item's step by its link: the note kept in the browser is saved at once.
    with notes_post(page) as restored:
        page.locator(f".mode-agenda a[href$='/items/{first}']").click()
    assert restored.value.status == 200
    page.reload()
    expect(seen).to_have_value("Mila wiebelt op haar stoel")
    page.locator("[data-step-agreements]").click()
    page.wait_for_url(re.compile(r"/mode/agreements$"))
    ready(page)

    # The earlier agreement: Tab to its review, choose how it went, a note, Enter.
    review = page.locator(f"#agreement-{meeting['earlier_agreement']}")
    expect(review).to_contain_text(EARLIER_AGREEMENT)
    page.keyboard.press("a")
    status = review.locator("select")
    tab_to(page, status)
    choose(page, status, "partly")
    page.keyboard.press("Tab")
    expect(review.locator("textarea")).to_be_focused()
    page.keyboard.type("Op drie van de vijf ochtenden")
    page.keyboard.press("Tab")
    expect(review.locator("button[type=submit]")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"#agreement-{meeting['earlier_agreement']}$"))
    expect(review).to_be_focused()
    expect(review).to_contain_text("— Op drie van de vijf ochtenden")  # reviewed here
    expect(review.locator("select")).to_have_value("partly")


def test_meeting_mode_works_without_script(
    live_server: LiveServer, new_context: Callable[..., Any], meeting: dict[str, Any]
) -> None:
    """The steps are links, each form saves with its button and comes back to its step."""
    first, second = meeting["items"]
    steps = f"/children/{meeting['child_id']}/meetings/{meeting['meeting_id']}/mode"
    page = new_context(**DESKTOP_CONTEXT, java_script_enabled=False).new_page()
    sign_in(page, COACH)
    page.goto(steps + "?lang=en")
    expect(page.locator(f"#item-{first}")).to_be_visible()
    expect(page.locator("#attendance button[type=submit]")).to_be_visible()
    page.locator(".mode-agenda a[rel=next]").click()
    page.wait_for_url(f"**{steps}/items/{second}*")
    item = page.locator(f"#item-{second}")
    expect(item).to_be_visible()
    expect(page.locator(f"#item-{first}")).to_have_count(0)

    item.locator(f"textarea[name='item-{second}-seen']").fill("Mila zingt mee")
    item.locator("form[data-notes] button[type=submit]").click()
    page.wait_for_url(f"**{steps}/items/{second}*#item-{second}")
    expect(page.locator(".flash-success")).to_be_visible()
    expect(item.locator(f"textarea[name='item-{second}-seen']")).to_have_value("Mila zingt mee")

    page.locator(".mode-agenda a[rel=next]").click()  # the last item's next: the agreements
    page.wait_for_url(f"**{steps}/agreements*")
    page.locator("#agreement-text").fill("Mila zit naast de juf in de kring")
    page.locator("input#due_on").fill(days_ahead(21).isoformat())
    page.locator("#agreements button[type=submit]").click()
    page.wait_for_url(re.compile(r"/mode/agreements(\?lang=en)?#agreements$"))
    expect(page.locator("#agreements .agreement-list")).to_contain_text("naast de juf")
    page.locator(".mode-agenda a[rel=prev]").click()
    page.wait_for_url(f"**{steps}/items/{second}*")
