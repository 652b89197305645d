"""The support plan on a phone, from a need named in a meeting to a parent's signature.

Sem Mulder's team held a meeting an hour or two ago about a recording only the team sees
(``tests.support.plan_journey``); its notes name what Sem needs. Sanne Jansen (coach), on her
phone, opens the meeting from Sem's page and goes to meeting mode, where she rewrites the need
(the page saves it as she types: the "Adopt into the plan" button steps aside while there is no
need, and is back for the new text without a reload) and adopts it into the plan in one tap:
Sem's first draft starts with the need, linked to the meeting it came from.
She adds a goal with a target date some months ahead, saves the plan's texts and sends version
1 to the parents. Anouk, Sem's mother, signs in on her phone, opens the plan from Sem's page
and reads the sent version: the need is there, but not its link (she was not at that meeting
and may not watch its recording), nor any hint of it, on the page or in the sealed PDF. She
answers on the action part with her typed name and a signature she draws with her finger,
and the coach sees her agreement on the plan's page.

Both use a phone-sized context (390 × 844, touch), each their own. Every page is checked for
sideways scrolling and by axe-core, and photographed into the test's tmp folder (``shots/``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import (
    PHONE_CONTEXT,
    LiveServer,
    Phone,
    draw_signature,
    open_child,
    pdf_words,
    sign_in,
)
from tests.support.demo import COACH
from tests.support.meetings import days_ahead
from tests.support.plan_journey import RECORDING

pytestmark = pytest.mark.e2e

#: The need as the coach writes it anew in meeting mode (the world's notes name an earlier one).
NEED = "Sem heeft nodig dat hij de eerste opdracht samen met juf maakt en daarna zelf verder werkt."
GOAL = "Sem begint zelf aan de eerste opdracht van de rekenles, na één keer voordoen."
WHO = "Juf Fatima"
EXIT_PROFILE = "Vmbo-kader"
#: How far ahead the goal's target date lies.
GOAL_DAYS = 120
PHONE = {**PHONE_CONTEXT, "locale": "nl-NL"}
DRAFT_PATH = re.compile(r"/children/\d+/plan/versions/(\d+)/edit(#.*)?$")


@pytest.fixture
def world(live_server: LiveServer) -> dict[str, Any]:
    made: dict[str, Any] = live_server.seed("plan_journey")
    return made


def saved(page: Page) -> Any:
    """Wait for the next autosave of meeting mode's notes, and return its response."""
    return page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/notes"), timeout=15_000
    )


def test_a_need_adopted_on_a_phone_and_the_plan_signed_by_a_parent(
    live_server: LiveServer,
    new_context: Callable[..., Any],
    check_a11y: Callable[[Page], None],
    world: dict[str, Any],
    tmp_path: Path,
) -> None:
    shots = tmp_path / "shots"
    shots.mkdir()
    phone = Phone(shots, check_a11y)
    child, parent_email, parent_name = world["child"], world["parent_email"], world["parent_name"]
    meeting_path = f"/children/{world['child_id']}/meetings/{world['meeting_id']}"
    assert world["meeting_state"] == "held"

    # --- 1. the coach adopts the need from meeting mode in one tap --------------------------
    coach = new_context(**PHONE).new_page()
    sign_in(coach, COACH)
    child_path = open_child(coach, child)
    expect(coach.locator(f"main a[href='{child_path}/plan']")).to_be_visible()
    phone.look(coach, "coach-child")
    coach.locator(f"main a[href='{child_path}/meetings']").click()
    coach.wait_for_url(f"**{child_path}/meetings")
    coach.locator(f"main a[href='{meeting_path}']").first.click()
    coach.wait_for_url(f"**{meeting_path}")
    phone.look(coach, "coach-meeting")
    coach.locator(f"main a[href='{meeting_path}/mode']").click()
    coach.wait_for_url(f"**{meeting_path}/mode")
    adopt_form = coach.locator(f"#item-{world['item_id']} form[data-adopt=need]")
    adopt = adopt_form.locator("button[type=submit]")
    expect(adopt_form.locator("input[name=source_id]")).to_have_value(str(world["need_id"]))
    expect(adopt).to_be_visible()
    expect(adopt).to_contain_text("Overnemen in het plan")
    phone.look(coach, "coach-meeting-mode")
    # She rewrites the need on the spot; the page saves it as she types, without reloading.
    # Emptied, there is nothing to adopt and the button steps aside; written anew, it is back.
    need_field = coach.locator(f"textarea[name='item-{world['item_id']}-need']")
    with saved(coach):
        need_field.fill("")
    expect(adopt).to_be_hidden()
    with saved(coach):
        need_field.fill(NEED)
    expect(adopt).to_be_visible()
    expect(adopt_form.locator("[data-adopt-what]")).to_have_text(f": {NEED[:37]}...")
    adopt.click()
    coach.wait_for_url(DRAFT_PATH)
    draft_path = coach.url.split(live_server.url, 1)[1].split("#", 1)[0]
    expect(coach.locator(".flash-success")).to_be_visible()
    needs = coach.locator("#part-need + ul .plan-item")
    expect(needs).to_have_count(1)
    need_item = needs.first
    expect(need_item.locator(".plan-text")).to_have_text(NEED)
    source = need_item.locator(f".evidence a[href='{meeting_path}']")
    expect(source).to_contain_text("Onderwijsbehoefte genoemd in het overleg van")
    phone.look(coach, "coach-draft-adopted")

    # --- 2. a goal with its target date, the plan's texts, and sending ----------------------
    target = days_ahead(GOAL_DAYS)
    coach.locator("#part").select_option("goal")
    coach.locator("#item-text").fill(GOAL)
    coach.locator("#target_on").fill(target.isoformat())
    coach.locator("#who").fill(WHO)
    phone.look(coach, "coach-goal")
    coach.locator(f"form[action='{draft_path.removesuffix('/edit')}/items'] button").click()
    coach.wait_for_url(f"**{draft_path}#part-goal")
    expect(coach.locator(".flash-success")).to_be_visible()
    goal = coach.locator("#part-goal + ul .plan-item")
    expect(goal).to_have_count(1)
    expect(goal.locator(".plan-text")).to_have_text(GOAL)
    expect(goal).to_contain_text(WHO)

    coach.locator("#exit_profile").fill(EXIT_PROFILE)
    coach.locator(f"form[action='{draft_path}'] button[type=submit]").click()
    coach.wait_for_url(f"**{draft_path}")
    expect(coach.locator(".flash-success")).to_be_visible()
    expect(coach.locator("#exit_profile")).to_have_value(EXIT_PROFILE)
    phone.look(coach, "coach-draft-filled")

    send = coach.locator(f"form[action='{draft_path.removesuffix('/edit')}/send'] button")
    expect(send).to_have_text("Versie 1 naar de ouders versturen")
    send.click()
    plan_path = f"{child_path}/plan"
    coach.wait_for_url(f"**{plan_path}")
    expect(coach.locator(".flash-success")).to_be_visible()
    waiting = coach.locator("#answers li").filter(has_text=parent_name)
    expect(waiting.locator(".state")).to_have_class(re.compile(r"\bstate-unanswered\b"))
    expect(coach.locator("main")).to_contain_text(NEED)
    # The school side still follows the need to its meeting on the sent version.
    expect(coach.locator(f"main .evidence a[href='{meeting_path}']")).to_have_count(1)
    phone.look(coach, "coach-plan-sent")

    # --- 3. the parent reads the sent version on her phone and signs ------------------------
    parent = new_context(**PHONE).new_page()
    sign_in(parent, parent_email)
    assert open_child(parent, child) == child_path
    phone.look(parent, "parent-child")
    parent.locator(f"main a[href='{plan_path}']").click()
    parent.wait_for_url(f"**{plan_path}")
    main = parent.locator("main")
    expect(main).to_contain_text(NEED)
    expect(main).to_contain_text(GOAL)
    expect(main).to_contain_text(EXIT_PROFILE)
    # The need's source is the team's: no link, no hint of the meeting or its recording.
    expect(parent.locator(f"a[href^='{meeting_path}']")).to_have_count(0)
    expect(main.locator(".evidence")).to_have_count(0)
    expect(main).not_to_contain_text("Onderwijsbehoefte genoemd in het overleg")
    expect(main).not_to_contain_text(RECORDING)
    expect(parent.locator("a[href$='/edit']")).to_have_count(0)
    phone.look(parent, "parent-plan")
    # The sealed PDF she may download holds the need, and no trace of its source either.
    with parent.expect_download() as info:
        parent.locator(f"main a[href^='{plan_path}/versions/'][href$='/pdf']").first.click()
    pdf = tmp_path / "plan.pdf"
    info.value.save_as(pdf)
    text = pdf_words(pdf)
    for expected in (child, NEED, GOAL):
        assert expected in text, f"{expected!r} missing from the plan's PDF"
    assert "overleg van" not in text and RECORDING not in text

    parent.locator("#answers a[href$='/answer']").click()
    parent.wait_for_url(re.compile(r"/plan/versions/\d+/answer$"))
    expect(parent.locator("main")).to_contain_text(NEED)
    expect(parent.locator("main .evidence")).to_have_count(0)
    expect(parent.locator(f"a[href^='{meeting_path}']")).to_have_count(0)
    expect(parent.locator("input[name=answer][value=agree]")).to_be_checked()
    parent.locator("#typed_name").fill(parent_name)
    draw_signature(parent)
    expect(parent.locator("#type_signature")).not_to_be_checked()
    phone.look(parent, "parent-answer")
    parent.locator("main form button[type=submit]").click()
    parent.wait_for_url(f"**{plan_path}#answers")
    expect(parent.locator(".flash-success")).to_be_visible()
    mine = parent.locator("#answers li").filter(has_text=parent_name)
    expect(mine.locator(".state")).to_have_class(re.compile(r"\bstate-granted\b"))
    expect(parent.locator("#answers a[href$='/answer']")).to_have_count(0)
    phone.look(parent, "parent-answered")

    # --- 4. the coach sees Anouk's answer ---------------------------------------------------
    coach.goto(plan_path)
    answered = coach.locator("#answers li").filter(has_text=parent_name)
    expect(answered.locator(".state")).to_have_class(re.compile(r"\bstate-granted\b"))
    expect(answered.locator(".state")).to_have_text("Gaat akkoord")
    phone.look(coach, "coach-answer-seen")
