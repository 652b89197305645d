"""Journey 1: a coach opens a trajectory and invites a parent, who joins from the e-mail.

Driven in real chromium at a desktop, a phone and a 320 px (reflow) viewport. The interface
language may change (catalogues are translated separately), so pages are located by field ids,
link targets and roles; what is asserted is the data typed in: the child's name and guiding
question.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from app.demo import DEMO_PASSWORD
from tests.support.browser import DESKTOP_CONTEXT, NARROW_CONTEXT, PHONE_CONTEXT, LiveServer
from tests.support.infra import Mailbox

pytestmark = pytest.mark.e2e

COACH_EMAIL = "coach@regenboog.example"
CHILD_URL = re.compile(r"/children/(\d+)$")


@dataclass(frozen=True)
class Viewport:
    id: str
    context_args: dict[str, Any]
    child_name: str
    group: str
    guiding_question: str
    parent_name: str
    parent_email: str


VIEWPORTS = [
    Viewport(
        id="desktop",
        context_args=DESKTOP_CONTEXT,
        child_name="Mila de Wit",
        group="groep 6",
        guiding_question=(
            "Mila kijkt bij de instructie vaak weg en vraagt daarna niets. Wat heeft Mila "
            "nodig om hulp te vragen, in de klas en thuis bij het huiswerk?"
        ),
        parent_name="Joost de Wit",
        parent_email="joost.dewit@example.nl",
    ),
    Viewport(
        id="phone",
        context_args=PHONE_CONTEXT,
        child_name="Sara Öztürk",
        group="groep 2",
        guiding_question=(
            "Sara speelt graag alleen en schrikt als een ander kind aanschuift. Hoe helpen we "
            "Sara om samen te spelen?"
        ),
        parent_name="Zeynep Öztürk",
        parent_email="zeynep.ozturk@example.nl",
    ),
    Viewport(
        id="narrow",
        context_args=NARROW_CONTEXT,
        child_name="Lotte van der Heijden-Oosterhuis",
        group="groep 7",
        guiding_question=(
            "Lotte werkt zelfstandig als de opdracht duidelijk is, maar raakt in paniek bij "
            "rekenverhaaltjes. Wat heeft Lotte nodig om rustig te beginnen?"
        ),
        parent_name="Bram van der Heijden",
        parent_email="bram.vanderheijden-oosterhuis@voorbeeld-gezinnen.example.nl",
    ),
]

PARENT_PASSWORD = "onze dochter fietst graag naar zee"


def submit(page: Page, field: str) -> None:
    """Press the submit button of the form in <main> that holds ``field``."""
    form = page.locator("main form").filter(has=page.locator(field))
    form.locator("button[type=submit]").click()


@pytest.mark.parametrize("vp", VIEWPORTS, ids=[v.id for v in VIEWPORTS])
def test_coach_opens_trajectory_and_parent_joins(
    vp: Viewport,
    live_server: LiveServer,
    new_context: Callable[..., Any],
    mailbox: Mailbox,
    check_a11y: Callable[[Page], None],
) -> None:
    # --- the coach signs in --------------------------------------------------------------
    coach = new_context(**vp.context_args).new_page()
    coach.goto("/")
    expect(coach.locator("#email")).to_be_visible()
    check_a11y(coach)
    coach.locator("#email").fill(COACH_EMAIL)
    coach.locator("#password").fill(DEMO_PASSWORD)
    submit(coach, "#password")
    coach.wait_for_url(f"{live_server.url}/")
    check_a11y(coach)

    # --- opens a trajectory from the home page ------------------------------------------
    coach.locator("main a[href='/children/new']").click()
    coach.wait_for_url("**/children/new")
    check_a11y(coach)
    coach.locator("#name").fill(vp.child_name)
    coach.locator("#date_of_birth").fill("2018-04-12")
    coach.locator("#group_name").fill(vp.group)
    coach.locator("#guiding_question").fill(vp.guiding_question)
    submit(coach, "#guiding_question")
    coach.wait_for_url(CHILD_URL)
    child_path = CHILD_URL.search(coach.url).group(0)  # type: ignore[union-attr]

    # --- the child's page puts the guiding question first --------------------------------
    expect(coach.get_by_role("heading", level=1)).to_have_text(vp.child_name)
    question = coach.locator("main").get_by_text(vp.guiding_question, exact=True)
    expect(question).to_be_visible()
    expect(question).to_be_in_viewport()  # above the fold, at either size
    expect(coach.get_by_role("region").filter(has_text=vp.guiding_question)).to_have_count(1)
    check_a11y(coach)

    # --- invites a parent ----------------------------------------------------------------
    coach.locator(f"main a[href='{child_path}/invite']").click()
    coach.wait_for_url(f"**{child_path}/invite")
    check_a11y(coach)
    coach.locator("#name").fill(vp.parent_name)
    coach.locator("#email").fill(vp.parent_email)
    coach.locator("#role").select_option("parent")
    submit(coach, "#email")
    coach.wait_for_url(f"**{child_path}")
    expect(coach.locator("main").get_by_text(vp.parent_email, exact=True)).to_be_visible()
    check_a11y(coach)

    # --- the parent opens the link from the e-mail, on a device of their own -------------
    invitation = mailbox.last_to(vp.parent_email)
    assert vp.child_name in Mailbox.text_of(invitation)
    link = mailbox.link_in(invitation)
    assert link.startswith("/invitation?"), link

    parent = new_context(**vp.context_args).new_page()
    parent.goto(link)
    expect(parent.locator("#password")).to_be_visible()
    expect(parent.locator("#name")).to_have_value(vp.parent_name)  # prefilled by the coach
    check_a11y(parent)
    parent.locator("#name").fill(vp.parent_name)
    parent.locator("#password").fill(PARENT_PASSWORD)
    parent.locator("#confirm").fill(PARENT_PASSWORD)
    submit(parent, "#confirm")

    # --- lands on the child's page and sees what the circle works on ---------------------
    parent.wait_for_url(f"**{child_path}")
    expect(parent.get_by_role("heading", level=1)).to_have_text(vp.child_name)
    expect(parent.locator("main").get_by_text(vp.guiding_question, exact=True)).to_be_visible()
    check_a11y(parent)

    # --- and is not offered what only the coach may do -----------------------------------
    expect(parent.locator("a[href$='/invite']")).to_have_count(0)
    assert parent.request.get(f"{child_path}/invite", max_redirects=0).status == 403
