"""Journeys 4 and 5 on a phone: a shared review from planning to the parent's acknowledgement.

Sanne Jansen (coach) plans a shared review of Lotte a week ahead with her teacher and her
mother Eva, puts a fragment the whole circle may see on the agenda and writes a preparation
note for the team. Eva, on her phone and in English, sees the meeting without that note, saves
it in her calendar and brings a question, which the coach then reads with Eva's name. The
meeting is held: the server runs on the real clock, which a test cannot pin, so
``tests.support.meeting_journey begin`` moves the meeting to have begun (the week in between;
"held" is no step of its own in the portal). The coach records an agreement for home, writes
what was seen and what Lotte needs, and finalises. Eva is mailed; signed out by then, she
follows the mail's link, signs in and lands on the summary, reads it with English headings,
opens the sealed PDF (the agreement in it, the note not: the PDF is the school's one sealed
copy, in Dutch) and signs her acknowledgement with her typed name; the coach sees it on the
summary page.

Both people use a phone-sized context (390 × 844, touch). Every page is checked for sideways
scrolling and by axe-core, and photographed into the test's tmp folder (``shots/``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, date, timedelta
from datetime import time as clock_time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from app.demo import DEMO_PASSWORD
from tests.support.browser import PHONE_CONTEXT, LiveServer, Phone, open_child, pdf_words, sign_in
from tests.support.demo import COACH
from tests.support.infra import Mailbox
from tests.support.meeting_journey import FRAGMENT, RECORDING
from tests.support.meetings import days_ahead, local

pytestmark = pytest.mark.e2e

QUESTION = "Wat heeft Lotte nodig om hulp te vragen voordat ze boos wordt?"
PLACE = "Kamer van de intern begeleider"
PREP_NOTE = "ALLEEN-TEAM: begin met de rustige minuut na de pauze"
PARENT_QUESTION = "At home Lotte asks for help only once she is angry. Do you see that at school?"
AGREED = "Thuis oefenen we samen met het hulpkaartje bij het huiswerk"
SEEN = "Lotte kijkt om zich heen als ze vastloopt en wacht tot iemand het ziet."
NEED = "Een afgesproken teken om hulp te vragen, dat een volwassene snel ziet."
#: The summary page's headings as an English reader sees them.
SUMMARY_HEADINGS_EN = (
    "Acknowledgement",
    "Guiding question",
    "Attended",
    "Fragments watched",
    "What we saw",
    "What Lotte de Wit needs",
    "Agreements",
)
#: The coach's phone is set to Dutch, Eva's to English (what the browser says it reads; the
#: portal itself follows the language chosen on its pages).
COACH_PHONE = {**PHONE_CONTEXT, "locale": "nl-NL"}
PARENT_PHONE = {**PHONE_CONTEXT, "locale": "en-GB"}
MEETING_PATH = re.compile(r"/children/\d+/meetings/(\d+)$")
MAIL_TIMEOUT = 15.0


@pytest.fixture
def world(live_server: LiveServer) -> dict[str, Any]:
    return _support(live_server)


def _support(live_server: LiveServer, *args: str) -> dict[str, Any]:
    made: dict[str, Any] = live_server.seed("meeting_journey", *args)
    return made


def school_day_ahead(days: int) -> date:
    """The first weekday at least ``days`` from today on the school's calendar."""
    day = days_ahead(days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def mail_to(mailbox: Mailbox, address: str, subject: str) -> EmailMessage:
    """The mail to ``address`` whose subject holds ``subject``, once it has arrived."""
    deadline = time.monotonic() + MAIL_TIMEOUT
    while True:
        found = [m for m in mailbox.to(address) if subject in str(m["Subject"])]
        if found:
            return found[-1]
        assert time.monotonic() < deadline, [str(m["Subject"]) for m in mailbox.to(address)]
        time.sleep(0.2)


def download(page: Page, link: Any, target: Path) -> Path:
    """Click ``link``, which downloads a file; save it as ``target``."""
    with page.expect_download() as info:
        link.click()
    info.value.save_as(target)
    return target


def test_a_shared_review_from_planning_to_the_parents_acknowledgement(
    live_server: LiveServer,
    new_context: Callable[..., Any],
    check_a11y: Callable[[Page], None],
    mailbox: Mailbox,
    world: dict[str, Any],
    tmp_path: Path,
) -> None:
    shots = tmp_path / "shots"
    shots.mkdir()
    phone = Phone(shots, check_a11y)
    child, parent_email, parent_name = world["child"], world["parent_email"], world["parent_name"]

    # --- 1. the coach plans a shared review a week ahead ----------------------------------
    coach = new_context(**COACH_PHONE).new_page()
    sign_in(coach, COACH)
    child_path = open_child(coach, child)
    phone.look(coach, "coach-child")
    coach.locator(f"main a[href='{child_path}/meetings/new']").first.click()
    coach.wait_for_url(f"**{child_path}/meetings/new")
    day = school_day_ahead(7)
    coach.locator("#kind").select_option("shared_review")
    coach.locator("#day").fill(day.isoformat())
    coach.locator("#start").fill("15:30")
    coach.locator("#end").fill("16:30")
    coach.locator("#place").fill(PLACE)
    coach.locator("#guiding_question").fill(QUESTION)
    invitees = coach.locator(".invitee-choice .field-check")
    for name in ("Fatima El Amrani", parent_name):
        invitees.filter(has_text=name).locator("input[type=checkbox]").check()
    phone.look(coach, "coach-plan")
    coach.locator("main form button[type=submit]").click()
    coach.wait_for_url(MEETING_PATH)
    meeting_path = coach.url.split(live_server.url, 1)[1]
    meeting_id = int(MEETING_PATH.search(meeting_path).group(1))  # type: ignore[union-attr]
    expect(coach.locator(".flash-success")).to_be_visible()
    expect(coach.locator(".gq-text")).to_have_text(QUESTION)
    starts = local(day, clock_time(15, 30)).astimezone(UTC)
    expect(coach.locator(".page-head time")).to_have_attribute("datetime", starts.isoformat())
    invitation = mail_to(mailbox, parent_email, child)
    assert any(p.get_content_type() == "text/calendar" for p in invitation.walk())

    # --- 2. the coach prepares: a fragment for everyone, a note for the team --------------
    coach.locator(f"main a[href='{meeting_path}/agenda']").click()
    coach.wait_for_url(f"**{meeting_path}/agenda")
    # Eva is invited: the recording only the team sees cannot go on the agenda, and says so.
    refused = coach.locator("details.refused-picks")
    expect(refused).to_contain_text(RECORDING)
    coach.locator("#pick").select_option(f"clip-{world['fragment_id']}")
    phone.look(coach, "coach-prepare")
    coach.locator(f"form[action='{meeting_path}/agenda'] button[type=submit]").click()
    coach.wait_for_url(f"**{meeting_path}/agenda#agenda")
    expect(coach.locator(".flash-success")).to_be_visible()
    item = coach.locator("#agenda .agenda-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(FRAGMENT)
    item.locator("a[href$='/edit']").click()
    coach.wait_for_url(re.compile(r"/agenda/\d+/edit$"))
    coach.locator("#prep_note").fill(PREP_NOTE)
    phone.look(coach, "coach-note")
    coach.locator("main form button[type=submit]").click()
    coach.wait_for_url(f"**{meeting_path}/agenda#agenda")
    expect(item.locator(".prep-note-text")).to_have_text(PREP_NOTE)
    phone.look(coach, "coach-agenda")

    # --- 3. Eva, in English on her phone: the meeting, her calendar, her question ---------
    parent = new_context(**PARENT_PHONE).new_page()
    sign_in(parent, parent_email)
    parent.locator(".language-switch button[value=en]").click()
    expect(parent.locator("html")).to_have_attribute("lang", "en")
    open_child(parent, child)
    phone.look(parent, "parent-child")
    parent.locator(f"main a[href='{meeting_path}']").first.click()
    parent.wait_for_url(f"**{meeting_path}")
    expect(parent.get_by_role("heading", level=1)).to_have_text(f"Shared review: {child}")
    expect(parent.locator(".gq-text")).to_have_text(QUESTION)
    expect(parent.locator("#agenda")).to_contain_text(FRAGMENT)
    expect(parent.locator("main")).not_to_contain_text(PREP_NOTE)
    expect(parent.locator(".prep-note")).to_have_count(0)
    phone.look(parent, "parent-meeting")

    ics_link = parent.locator(f"a[href='{meeting_path}/calendar.ics']")
    ics = download(parent, ics_link, tmp_path / "meeting.ics").read_text()
    unfolded = ics.replace("\r\n ", "")
    assert ics.startswith("BEGIN:VCALENDAR") and child in unfolded and PLACE in unfolded
    assert PREP_NOTE not in unfolded
    answer = parent.request.get(f"{meeting_path}/calendar.ics")
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/calendar")

    parent.locator("form.contribute-form textarea[name=text]").fill(PARENT_QUESTION)
    parent.locator("form.contribute-form button[type=submit]").click()
    parent.wait_for_url(f"**{meeting_path}#brought")
    expect(parent.locator(".flash-success")).to_be_visible()
    expect(parent.locator("#brought .contribution")).to_contain_text(PARENT_QUESTION)
    phone.look(parent, "parent-brought")

    coach.goto(meeting_path)
    brought = coach.locator("#brought .contribution").filter(has_text=PARENT_QUESTION)
    expect(brought).to_contain_text(parent_name)
    expect(coach.locator("#agenda .prep-note-text")).to_have_text(PREP_NOTE)
    phone.look(coach, "coach-meeting")

    # --- 4. the meeting is held: an agreement, what was seen and needed, finalised --------
    _support(live_server, "begin", str(meeting_id))
    coach.reload()
    due = days_ahead(28)
    form = coach.locator("form.agreement-form")
    form.locator("#agreement-text").fill(AGREED)
    form.locator("#party").select_option("home")
    form.locator("#owner").select_option(label=parent_name)
    form.locator("#due_on").fill(due.isoformat())
    phone.look(coach, "coach-agreement")
    form.locator("button[type=submit]").click()
    coach.wait_for_url(f"**{meeting_path}#agreements")
    expect(coach.locator(".flash-success")).to_be_visible()
    agreement = coach.locator("#agreements .agreement").filter(has_text=AGREED)
    expect(agreement).to_contain_text(parent_name)

    coach.locator(f"#summary a[href='{meeting_path}/finalise']").click()
    coach.wait_for_url(f"**{meeting_path}/finalise")
    coach.locator("#seen").fill(SEEN)
    coach.locator("#need").fill(NEED)
    for name in ("Sanne Jansen", "Fatima El Amrani", parent_name):
        expect(
            coach.locator(".invitee-choice .field-check").filter(has_text=name).locator("input")
        ).to_be_checked()
    phone.look(coach, "coach-finalise")
    coach.locator("main form button[type=submit]").click()
    coach.wait_for_url(f"**{meeting_path}#summary")
    expect(coach.locator(".flash-success")).to_be_visible()
    expect(coach.locator(f"#summary a[href='{meeting_path}/summary']")).to_be_visible()
    phone.look(coach, "coach-finalised")

    # --- 5. Eva is told, reads the summary in English, opens the PDF, acknowledges --------
    told = mail_to(mailbox, parent_email, "Summary ready")
    assert child in Mailbox.text_of(told) and PREP_NOTE not in Mailbox.text_of(told)
    link = mailbox.link_in(told)
    assert link == f"{meeting_path}/summary", link
    # She reads the mail later, signed out: the link asks her to sign in, then shows it.
    parent.locator("form[data-sign-out] button[type=submit]").click()
    expect(parent.locator("#password")).to_be_visible()
    parent.goto(link)
    parent.locator("#email").fill(parent_email)
    parent.locator("#password").fill(DEMO_PASSWORD)
    phone.look(parent, "parent-sign-in")
    parent.locator("main form").filter(has=parent.locator("#password")).locator(
        "button[type=submit]"
    ).click()
    parent.wait_for_url(f"**{link}")
    expect(parent.locator("html")).to_have_attribute("lang", "en")
    headings = parent.locator("main h2")
    for heading in SUMMARY_HEADINGS_EN:
        expect(headings.filter(has_text=re.compile(f"^{re.escape(heading)}$"))).to_have_count(1)
    expect(parent.locator("main")).to_contain_text(AGREED)
    # On a phone the agreements' table is stacked: each value says what it is.
    expect(parent.locator("td[data-label='Party']")).to_have_text("Home")
    expect(parent.locator("td[data-label='Who sees to it']")).to_have_text(parent_name)
    expect(parent.locator("main")).to_contain_text(NEED)
    expect(parent.locator("main")).not_to_contain_text(PREP_NOTE)
    phone.look(parent, "parent-summary")

    pdf_link = parent.locator(f"main a[href='{meeting_path}/summary.pdf']").first
    pdf = download(parent, pdf_link, tmp_path / "summary.pdf")
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = pdf_words(pdf)
    for expected in (child, AGREED, SEEN, NEED, parent_name):
        assert expected in text, f"{expected!r} missing from the summary PDF"
    assert PREP_NOTE not in text
    answer = parent.request.get(f"{meeting_path}/summary.pdf")
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/pdf"

    parent.locator(f"#acknowledgement a[href='{meeting_path}/summary/acknowledge']").click()
    parent.wait_for_url(f"**{meeting_path}/summary/acknowledge")
    expect(parent.locator("input[name=answer][value=agree]")).to_be_checked()
    parent.locator("#typed_name").fill(parent_name)
    phone.look(parent, "parent-acknowledge")
    parent.locator("main form button[type=submit]").click()
    parent.wait_for_url(f"**{meeting_path}/summary#acknowledgement")
    expect(parent.locator(".flash-success")).to_be_visible()
    expect(parent.locator("#acknowledgement .state-granted")).to_have_text("Acknowledged")
    expect(parent.locator("#acknowledgement a[href$='/acknowledge']")).to_have_count(0)
    phone.look(parent, "parent-acknowledged")
    parent.goto(meeting_path)
    expect(parent.locator("#agreements")).to_contain_text(AGREED)
    expect(parent.locator("main")).not_to_contain_text(PREP_NOTE)
    phone.look(parent, "parent-meeting-after")

    # --- 6. the coach sees that Eva acknowledged ------------------------------------------
    coach.goto(f"{meeting_path}/summary")
    state = coach.locator("#acknowledgement .record").filter(has_text=parent_name)
    expect(state.locator(".state")).to_have_class(re.compile(r"\bstate-granted\b"))
    phone.look(coach, "coach-acknowledged")
