"""Parents are told the summary is ready, read it on the summary page (headings in their
language, the team's text as written) and as PDF, and acknowledge it with a signed record
whose state the coach sees; a summary replaced meanwhile is refused."""

from __future__ import annotations

import re

import pytest
import time_machine
from sqlalchemy import func, select

from app.core.audit import AuditEvent
from app.core.db import db
from app.documents.models import Document, DocumentKind
from app.meetings.models_summary import SummaryAcknowledgement
from tests.support.summaries import SECRET_NOTE, add_agenda, during, finalise_form


@pytest.fixture
def finalised(app, client, login_as, circle, planned, make_clip, mailbox):
    add_agenda(planned, circle, make_clip)
    with time_machine.travel(during(planned), tick=True):
        login_as(circle.coach)
        url = f"/children/{planned.child_id}/meetings/{planned.id}/finalise"
        form = finalise_form(planned, [circle.coach, circle.teacher, circle.parent])
        assert client.post(url, data=form).status_code == 302
        client.post("/sign-out")
        yield planned


def _url(meeting, tail=""):
    return f"/children/{meeting.child_id}/meetings/{meeting.id}/summary{tail}"


def _token(page: str) -> str:
    return re.search(r'name="token"[^>]*value="([^"]+)"', page).group(1)


def _summary_id(page: str) -> str:
    return re.search(r'name="summary_id"[^>]*value="([^"]+)"', page).group(1)


def _open(client, meeting):
    page = client.get(_url(meeting, "/acknowledge")).get_data(as_text=True)
    return {"token": _token(page), "summary_id": _summary_id(page)}


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(SummaryAcknowledgement))


def test_invited_parents_are_told_in_their_language(app, circle, finalised, mailbox):
    mails = mailbox.to(circle.parent.email)
    assert len(mails) == 1
    assert mails[0]["Subject"].startswith("Verslag klaar: Gezamenlijke beeldbespreking over")
    assert SECRET_NOTE not in mails[0].as_string()
    assert _url(finalised) in mails[0].as_string()
    # The school side finds it on the meeting page; a parent not invited hears nothing.
    assert mailbox.to(circle.teacher.email) == [] and mailbox.to(circle.parent2.email) == []


def test_a_parent_reads_the_summary_in_their_language(app, client, login_as, circle, finalised):
    login_as(circle.parent)
    dutch = client.get(_url(finalised)).get_data(as_text=True)
    assert "Wat we zagen" in dutch and "Noah neemt initiatief" in dutch
    english = client.get(_url(finalised) + "?lang=en").get_data(as_text=True)
    assert "What we saw" in english and "Noah neemt initiatief" in english  # as written
    for page in (dutch, english):
        assert SECRET_NOTE not in page
    response = client.get(_url(finalised, ".pdf"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"


def test_a_parent_acknowledges_with_a_signed_record_the_coach_sees(
    app, client, login_as, circle, finalised
):
    login_as(circle.parent)
    form = _open(client, finalised)
    response = client.post(
        _url(finalised, "/acknowledge"),
        data={
            **form,
            "answer": "comment",
            "comment": "Graag ook de gym erbij.",
            "typed_name": "Petra de Ouder",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    record = db.session.scalar(select(SummaryAcknowledgement))
    document = db.session.scalar(
        select(Document).where(Document.kind == DocumentKind.MEETING_SUMMARY)
    )
    assert record.summary_sha256 == document.sha256 and document.sha256 in record.text_shown
    assert record.typed_name == "Petra de Ouder" and not record.agrees
    assert record.ip_address and record.text_sha256
    assert "summary_acknowledged" in db.session.scalars(select(AuditEvent.action)).all()
    # Twice: refused, nothing more stored.
    response = client.post(
        _url(finalised, "/acknowledge"),
        data={**_open(client, finalised), "answer": "agree", "typed_name": "Petra"},
    )
    assert "al bevestigd" in response.get_data(as_text=True) and _count() == 1
    client.post("/sign-out")
    login_as(circle.coach)
    page = client.get(_url(finalised)).get_data(as_text=True)
    assert "Ouder Petra" in page and "Graag ook de gym erbij." in page
    assert "Bevestigd, met een opmerking" in page


def test_bad_acknowledgements_are_refused_and_store_nothing(
    app, client, login_as, circle, finalised
):
    login_as(circle.parent)
    url = _url(finalised, "/acknowledge")
    cases = [
        ({"answer": "agree", "typed_name": " "}, "Vul dit veld in."),
        ({"answer": "comment", "comment": " ", "typed_name": "Petra"}, "Schrijf je opmerking."),
        ({"answer": "agree", "typed_name": "Petra", "token": "vervalst"}, "te lang open"),
    ]
    for values, message in cases:
        response = client.post(url, data={**_open(client, finalised), **values})
        assert message in response.get_data(as_text=True), message
    assert _count() == 0


def test_acknowledging_a_summary_replaced_meanwhile_is_refused(
    app, client, login_as, circle, finalised, make_user
):
    login_as(circle.parent)
    opened = _open(client, finalised)
    client.post("/sign-out")
    login_as(circle.coach)
    client.post(_url(finalised).replace("/summary", "/addendum"), data={"text": "Correctie."})
    client.post("/sign-out")
    login_as(circle.parent)
    response = client.post(
        _url(finalised, "/acknowledge"), data={**opened, "answer": "agree", "typed_name": "P"}
    )
    assert response.status_code == 409
    assert "vervangen door een aanvulling" in response.get_data(as_text=True)
    assert _count() == 0


def test_only_invited_parents_acknowledge(app, client, login_as, circle, finalised):
    login_as(circle.teacher)
    assert client.get(_url(finalised, "/acknowledge")).status_code == 403
    client.post("/sign-out")
    login_as(circle.parent2)  # a parent, not invited: never a hint the meeting exists
    assert client.get(_url(finalised, "/acknowledge")).status_code == 404
    assert client.get(_url(finalised)).status_code == 404
