"""Finalising: the meeting locks, a sealed summary PDF is issued (content, page numbers,
evidence page, seal checked by poppler, the verify page and ``flask verify-pdf``), staff-only
notes never in it; addenda issue a new summary naming the one replaced; bad input refused."""

from __future__ import annotations

import hashlib
import io

import pytest
import time_machine
from sqlalchemy import func, select

from app.circle.audience import Audience
from app.clips.models import Moment, Tag
from app.core.audit import AuditEvent
from app.core.db import db
from app.documents.models import Document, DocumentKind
from app.meetings.models import AgendaItem, ItemNotes, Meeting, MeetingState
from app.meetings.models_followup import Agreement, AgreementStatus
from app.meetings.models_summary import MeetingSummary
from tests.support.documents import table_cells
from tests.support.meetings import days_ahead, plan
from tests.support.summaries import (
    AGREED,
    SECRET_NOTE,
    add_agenda,
    during,
    finalise_form,
    pdf_text,
    pdfsig,
)


@pytest.fixture
def held(app, circle, planned, make_clip):
    add_agenda(planned, circle, make_clip)
    with time_machine.travel(during(planned), tick=True):
        yield planned


def _finalise(client, meeting, data):
    return client.post(f"/children/{meeting.child_id}/meetings/{meeting.id}/finalise", data=data)


def _pdf(client, meeting, number=None):
    url = f"/children/{meeting.child_id}/meetings/{meeting.id}/summary.pdf"
    return client.get(url + (f"?number={number}" if number else ""))


def test_finalising_locks_the_meeting_and_issues_a_sealed_summary(
    app, client, login_as, circle, held, tmp_path, runner
):
    login_as(circle.coach)
    attendees = [circle.coach, circle.teacher, circle.parent]
    response = _finalise(client, held, finalise_form(held, attendees))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    assert db.session.get(Meeting, held.id).state is MeetingState.FINALISED
    document = db.session.scalar(
        select(Document).where(Document.kind == DocumentKind.MEETING_SUMMARY)
    )
    assert document.kind is DocumentKind.MEETING_SUMMARY

    response = _pdf(client, held)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    data = response.get_data()
    assert hashlib.sha256(data).hexdigest() == document.sha256
    text = " ".join(pdf_text(data, tmp_path).split())
    for expected in (
        circle.child.school.name,
        circle.child.name,
        "Gezamenlijke beeldbespreking",
        held.guiding_question.split()[0],
        "Coach Carla",
        "Juf Tamara",
        "Ouder Petra",
        "Kring school",
        "Thuis spelen",
        "Rekenles fragment",
        "0:12",
        "Noah neemt initiatief",
        "Tijd om te beginnen",
        AGREED,
        "pagina 1 van",
        "Bewijs",
    ):
        assert expected in text, expected
    assert SECRET_NOTE not in text
    assert "ETSI.CAdES.detached" in pdfsig(data, tmp_path)
    assert "Signature is Valid" in pdfsig(data, tmp_path)

    events = db.session.scalars(select(AuditEvent.action)).all()
    assert {"meeting_finalised", "document_issued", "document_downloaded"} <= set(events)

    path = tmp_path / "copy.pdf"
    path.write_bytes(data)
    result = runner.invoke(args=["verify-pdf", str(path)])
    assert result.exit_code == 0 and "meeting_summary" in result.output, result.output
    verified = client.post(
        "/documents/verify",
        data={"file": (io.BytesIO(data), "copy.pdf")},
        content_type="multipart/form-data",
    )
    page = verified.get_data(as_text=True).replace("<wbr>", "")
    assert verified.status_code == 200 and document.sha256 in page
    assert "Verslag van een bespreking" in page


def test_the_summary_tables_are_tagged_with_header_cells_and_their_scope(
    app, client, login_as, circle, held
):
    login_as(circle.coach)
    _finalise(client, held, finalise_form(held, [circle.coach]))
    root, headers, cells = table_cells(_pdf(client, held).get_data())
    assert "/StructTreeRoot" in root  # tagged (PDF/UA)
    # The agreements table (4 columns) and the evidence table (5) at least.
    assert len(headers) >= 9
    # Every data cell names its column's header cell, and every header cell its scope.
    assert cells and all("/Headers" in cell.get("/A", {}) for cell in cells)
    assert all(th["/A"].get_object()["/Scope"] == "/Column" for th in headers)


def test_bad_finalising_is_refused_and_changes_nothing(
    app, client, login_as, circle, planned, make_clip, make_user
):
    add_agenda(planned, circle, make_clip)
    login_as(circle.coach)
    form = finalise_form(planned, [circle.coach])
    response = _finalise(client, planned, form)  # a week before it begins
    assert response.status_code == 400
    assert "zodra ze begonnen is" in response.get_data(as_text=True)
    page = client.get(f"/children/{planned.child_id}/meetings/{planned.id}/finalise")
    assert "zodra ze begonnen is" in page.get_data(as_text=True)
    with time_machine.travel(during(planned), tick=True):
        client.post("/sign-out")
        login_as(circle.coach)
        cases = [
            (finalise_form(planned, [circle.coach], seen=" "), "Vul dit veld in."),
            (finalise_form(planned, [circle.coach], need=""), "Vul dit veld in."),
            (finalise_form(planned, []), "Vink aan wie er waren."),
            (finalise_form(planned, [circle.parent2]), "Alleen wie uitgenodigd was"),
            (finalise_form(planned, [circle.coach], version="0"), "Iemand anders heeft"),
        ]
        for data, message in cases:
            response = _finalise(client, planned, data)
            assert response.status_code in (400, 409), data
            assert message in response.get_data(as_text=True), message
        assert db.session.scalar(select(func.count()).select_from(MeetingSummary)) == 0
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(Document)
                .where(Document.kind == DocumentKind.MEETING_SUMMARY)
            )
            == 0
        )
        assert _finalise(client, planned, finalise_form(planned, [circle.coach])).status_code == 302
        response = _finalise(client, planned, finalise_form(planned, [circle.coach], version="2"))
        assert response.status_code == 400
        assert "al afgerond" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(MeetingSummary)) == 1


def test_an_addendum_issues_a_new_summary_naming_the_one_it_replaces(
    app, client, login_as, circle, held, tmp_path
):
    login_as(circle.coach)
    _finalise(client, held, finalise_form(held, [circle.coach, circle.parent]))
    first = db.session.scalar(select(Document).where(Document.kind == DocumentKind.MEETING_SUMMARY))
    url = f"/children/{held.child_id}/meetings/{held.id}/addendum"
    response = client.post(url, data={"text": "  "})
    assert response.status_code == 400 and "Vul dit veld in." in response.get_data(as_text=True)
    response = client.post(url, data={"text": "De datum van de afspraak is 1 week later."})
    assert response.status_code == 302
    summaries = db.session.scalars(select(MeetingSummary).order_by(MeetingSummary.number)).all()
    assert [s.number for s in summaries] == [1, 2] and summaries[1].replaces_id == summaries[0].id
    text = " ".join(pdf_text(_pdf(client, held).get_data(), tmp_path).split())
    assert "Aanvulling" in text and "De datum van de afspraak is 1 week later." in text
    assert "vervangt verslag nummer 1" in text.lower()
    assert first.sha256[:32] in text.replace(" ", "")
    # The first summary is still there, unchanged, and still downloadable.
    old = _pdf(client, held, number=1).get_data()
    assert hashlib.sha256(old).hexdigest() == first.sha256
    page = client.get(f"/children/{held.child_id}/meetings/{held.id}").get_data(as_text=True)
    assert "Aanvulling 1" in page and "Vervangen" in page
    events = db.session.scalars(select(AuditEvent.action)).all()
    assert "meeting_addendum_added" in events


def test_an_addendum_needs_a_finalised_meeting(app, client, login_as, circle, planned):
    login_as(circle.coach)
    url = f"/children/{planned.child_id}/meetings/{planned.id}/addendum"
    response = client.post(url, data={"text": "Iets"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(MeetingSummary)) == 0


def test_agreements_of_a_finalised_meeting_are_reviewed_in_the_next_and_printed_there(
    app, client, login_as, circle, planned, make_clip, tmp_path
):
    add_agenda(planned, circle, make_clip)
    later = plan(app, circle.child, circle.coach, [circle.coach, circle.parent], day=days_ahead(21))
    agreement = db.session.scalar(select(Agreement).where(Agreement.meeting_id == planned.id))
    with time_machine.travel(during(planned), tick=True):
        login_as(circle.coach)
        assert _finalise(client, planned, finalise_form(planned, [circle.coach])).status_code == 302
        url = f"/children/{later.child_id}/meetings/{later.id}/agreements/{agreement.id}/review"
        prefix = f"review-{agreement.id}-"
        response = client.post(
            url,
            data={
                prefix + "status": "done",
                prefix + "note": "Lukt elke ochtend",
                prefix + "version": str(agreement.version),
            },
        )
        assert response.status_code == 302
        client.post("/sign-out")
    db.session.expire_all()
    assert db.session.get(Agreement, agreement.id).status is AgreementStatus.DONE
    assert db.session.get(Agreement, agreement.id).text == AGREED  # what was agreed stays
    with time_machine.travel(during(later), tick=True):
        login_as(circle.coach)
        assert _finalise(client, later, finalise_form(later, [circle.coach])).status_code == 302
        text = " ".join(pdf_text(_pdf(client, later).get_data(), tmp_path).split())
        # The history shows both meetings.
        url = f"/children/{circle.child.id}/agreements/{agreement.id}"
        page = client.get(url).get_data(as_text=True)
    assert "Eerdere afspraken besproken" in text and AGREED in text
    assert "Gedaan" in text and "Lukt elke ochtend" in text
    assert "afgesproken" in page and "Lukt elke ochtend" in page


def test_the_summary_prints_what_was_written_per_item_with_the_cited_moment(
    app, client, login_as, circle, held, tmp_path
):
    # What the group wrote in meeting mode stands under its item, the need with its moment.
    first = db.session.scalars(
        select(AgendaItem).where(AgendaItem.meeting_id == held.id).order_by(AgendaItem.position)
    ).first()
    moment = Moment(
        child_id=circle.child.id,
        clip_id=first.clip_id,
        author_id=circle.coach.id,
        start_s=14.0,
        tag=Tag.NEED,
        audience=Audience.CIRCLE,
        text="Hier",
    )
    db.session.add(moment)
    db.session.flush()
    db.session.add(
        ItemNotes(
            item_id=first.id,
            meeting_id=held.id,
            child_id=circle.child.id,
            seen="Hij wacht tot de juf knikt",
            need="een teken voordat de kring begint",
            need_moment_id=moment.id,
        )
    )
    db.session.commit()
    login_as(circle.coach)
    attendees = [circle.coach, circle.parent]
    assert _finalise(client, held, finalise_form(held, attendees)).status_code == 302
    text = " ".join(pdf_text(_pdf(client, held).get_data(), tmp_path).split())
    assert "Hij wacht tot de juf knikt" in text
    assert "een teken voordat de kring begint (moment op 0:14)" in text
    login_as(circle.parent)
    page = client.get(f"/children/{held.child_id}/meetings/{held.id}/summary").get_data(
        as_text=True
    )
    assert "Hij wacht tot de juf knikt" in page and "moment op 0:14" in page


def test_on_a_phone_each_agreement_value_of_the_summary_page_names_its_column(
    app, client, login_as, circle, held
):
    # A phone stacks the agreements table and hides its header row: each value carries its
    # column's name (shown before it by the stylesheet), in the reader's language.
    login_as(circle.coach)
    assert _finalise(client, held, finalise_form(held, [circle.coach])).status_code == 302
    login_as(circle.parent)
    url = f"/children/{held.child_id}/meetings/{held.id}/summary?lang=en"
    page = client.get(url).get_data(as_text=True)
    assert '<td data-label="Party">School</td>' in page
    assert '<td data-label="Who sees to it">Juf Tamara</td>' in page
    assert '<td data-label="Due date">' in page
