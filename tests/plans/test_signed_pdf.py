"""Each answer on a sent version issues the version's PDF anew through the shared services:
the plan as sent with every answer so far (who, in which role, agrees or declines with the
reason, the drawn or typed signature, when), an evidence page per signature with the
version's SHA-256, naming the PDF it replaces; sealed (poppler's pdfsig), tagged with header
cells and their scope, recognised by the verify page and ``flask verify-pdf``; the version's
page offers the newest to every reader; nothing staff-only in it; all or nothing."""

from __future__ import annotations

import hashlib
import io
import re
import subprocess

import pypdf
import pytest
from sqlalchemy import func, select

from app.circle.models import Child
from app.core.db import db
from app.documents.models import Document, DocumentKind
from app.documents.services import StorageFullError
from app.plans.models import PlanAnswer, PlanVersion
from app.plans.services import sources as adopting
from tests.support.documents import header_scopes, table_cells
from tests.support.plans import draft_plan, drawn_signature, give_answer, seat_of
from tests.support.summaries import pdfsig

DRAFT_SECRET = "Concept: eerst overleggen met de intern begeleider"
REASON = "Wij willen eerst praten over de doelen thuis."


@pytest.fixture
def sent(app, client, login_as, circle, sources):
    """Version 1, which adopted the school-only meeting's need and the home agreement, sent
    by the coach through the page; then the draft of version 2 with a goal the parents do not
    see yet."""
    version = draft_plan(app, circle.child, circle.coach)
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        seat = seat_of(circle.coach, circle.child)
        adopting.adopt(db.session, seat, adopting.SourceKind.NEED, sources["need"].id)
        adopting.adopt(db.session, seat, adopting.SourceKind.AGREEMENT, sources["agreement"].id)
        db.session.commit()
    coach = login_as(circle.coach, on=app.test_client())
    url = f"/children/{circle.child.id}/plan/versions/{version.id}"
    assert coach.post(url + "/send").status_code == 302
    coach.post(f"/children/{circle.child.id}/plan/draft")
    draft = db.session.scalar(select(PlanVersion).where(PlanVersion.version == 2))
    response = coach.post(
        f"/children/{circle.child.id}/plan/versions/{draft.id}/items",
        data={"part": "goal", "text": DRAFT_SECRET, "target_on": "2099-01-01", "who": "Juf"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    return db.session.get(PlanVersion, version.id)


def documents_of(version) -> list[Document]:
    return list(
        db.session.scalars(
            select(Document)
            .where(Document.subject_type == "PlanVersion", Document.subject_id == version.id)
            .order_by(Document.issued_at, Document.id)
        )
    )


def text_of(data: bytes, tmp_path) -> str:
    """The PDF's text in reading order (a table cell's lines kept together), on one line."""
    path = tmp_path / "read.pdf"
    path.write_bytes(data)
    read = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(read.split())


def pdf_url(version) -> str:
    return f"/children/{version.child_id}/plan/versions/{version.id}/pdf"


def test_each_answer_issues_the_pdf_anew_with_every_answer_and_its_evidence(
    app, client, login_as, circle, sent, tmp_path, runner
):
    first = documents_of(sent)
    assert len(first) == 1
    login_as(circle.parent)
    agreed = give_answer(
        client, sent, answer="agree", typed_name="Ouder Petra", signature=drawn_signature()
    )
    assert agreed.status_code == 302
    second = documents_of(sent)
    assert len(second) == 2 and second[0].sha256 == first[0].sha256

    paul = login_as(circle.parent2, on=app.test_client())
    declined = give_answer(
        paul, sent, answer="decline", reason=REASON, typed_name="Paul de Boer", type_signature="y"
    )
    assert declined.status_code == 302
    issued = documents_of(sent)
    assert len(issued) == 3 and all(d.kind is DocumentKind.SUPPORT_PLAN for d in issued)
    newest = issued[-1]
    assert newest.title == "Ontwikkelingsperspectiefplan, versie 1, met de antwoorden"

    response = paul.get(pdf_url(sent))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    data = response.get_data()
    assert hashlib.sha256(data).hexdigest() == newest.sha256
    text = text_of(data, tmp_path)
    for expected in (
        "Instemming met het handelingsdeel",
        "Ouder Petra",
        "Gaat akkoord",
        "Ouder Paul",
        "Naam zoals getypt Paul de Boer",  # the typed name beside the account's
        "Gaat niet akkoord",
        REASON,
        "ouder of verzorger",
        "Ondertekend door de volledige naam te typen.",
        "Bewijs: Ouder Petra",
        "Bewijs: Ouder Paul",
        "per mail gevraagd",
        "formulier geopend",
        "beantwoord",
        "SHA-256 van de versie",
        "Vervangt",
        "Deze pdf vervangt de eerdere pdf van deze versie",
        "Thuis elke avond tien minuten samen lezen",  # the adopted agreement, as sent
        "pagina 1 van",
    ):
        assert expected in text, expected
    compact = text.replace(" ", "")
    assert sent.sha256[:32] in compact and sent.sha256[32:] in compact
    assert issued[1].sha256[:32] in compact  # names the PDF it replaces
    assert data.count(b"/Subtype /Image") >= 1  # Petra's drawn signature
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 4  # the plan, the answers, an evidence page each

    report = pdfsig(data, tmp_path)
    assert "ETSI.CAdES.detached" in report and "Signature is Valid" in report
    path = tmp_path / "plan.pdf"
    path.write_bytes(data)
    result = runner.invoke(args=["verify-pdf", str(path)])
    assert result.exit_code == 0 and "support_plan" in result.output, result.output
    assert newest.sha256 in result.output
    coach = login_as(circle.coach, on=app.test_client())  # the verify page is the school's
    verified = coach.post(
        "/documents/verify",
        data={"file": (io.BytesIO(data), "plan.pdf")},
        content_type="multipart/form-data",
    )
    page = verified.get_data(as_text=True).replace("<wbr>", "")
    assert verified.status_code == 200 and newest.sha256 in page
    assert "met de antwoorden" in page

    # The earlier PDFs stay as they were issued, and still verify.
    earlier = db.session.get(Document, issued[1].id)
    assert earlier.sha256 == second[1].sha256


def test_the_pdf_holds_nothing_staff_only(app, client, login_as, circle, sent, tmp_path):
    """Not where the need came from (the school-only meeting, its note, the team-only clip
    and moment), nor the draft of the next version: only the plan as it was sent."""
    login_as(circle.parent)
    give_answer(client, sent, answer="agree", typed_name="Ouder Petra", type_signature="y")
    data = client.get(pdf_url(sent)).get_data()
    text = text_of(data, tmp_path)
    assert "Sem heeft een rustige plek nodig bij de instructie" in text  # the need, adopted
    for hidden in (
        "Hij kijkt weg bij drukte",  # what the school-only meeting saw
        "Sem helpt een klasgenoot bij de som",  # the team-only moment the need cites
        "Rekenles",  # the team-only clip
        DRAFT_SECRET,  # the next version's draft
        "/meetings/",
        "/clips/",
    ):
        assert hidden not in text, hidden
    assert b"/URI" not in data  # no link out of the document


def test_the_answers_and_evidence_tables_are_tagged_with_header_cells_and_their_scope(
    app, client, login_as, circle, sent, tmp_path
):
    login_as(circle.parent)
    give_answer(client, sent, answer="agree", typed_name="Ouder Petra", type_signature="y")
    data = client.get(pdf_url(sent)).get_data()
    root, headers, cells = table_cells(data)
    assert "/StructTreeRoot" in root and str(root["/Lang"]) == "nl"  # tagged (PDF/UA)
    # The answers table (4 columns) and one evidence table (5).
    assert len(headers) == 4 + 5
    assert cells and all("/Headers" in cell.get("/A", {}) for cell in cells)
    assert all(th["/A"].get_object()["/Scope"] == "/Column" for th in headers)
    assert header_scopes(data, tmp_path) == ["Column"] * 9
    images = [
        obj
        for page in pypdf.PdfReader(io.BytesIO(data)).pages
        for obj in (page.get("/Resources", {}).get("/XObject") or {}).values()
    ]
    assert images == []  # a typed signature: no image, the name as typed


def test_the_version_page_offers_the_newest_pdf_to_every_reader(
    app, client, login_as, circle, sent
):
    login_as(circle.parent)
    give_answer(client, sent, answer="agree", typed_name="Ouder Petra", type_signature="y")
    newest = documents_of(sent)[-1]
    page_url = f"/children/{sent.child_id}/plan/versions/{sent.id}"
    for person in (circle.coach, circle.teacher, circle.specialist, circle.parent, circle.parent2):
        reader = login_as(person, on=app.test_client())
        page = reader.get(page_url).get_data(as_text=True)
        assert pdf_url(sent) in page, person.name
        download = reader.get(pdf_url(sent))
        assert download.status_code == 200
        assert hashlib.sha256(download.get_data()).hexdigest() == newest.sha256
    # Who has yet to answer finds the way to do it on the page the mail links to.
    paul = login_as(circle.parent2, on=app.test_client())
    assert f"{page_url}/answer" in paul.get(page_url).get_data(as_text=True)
    assert f"{page_url}/answer" not in client.get(page_url).get_data(as_text=True)


def test_an_answer_whose_pdf_cannot_be_stored_is_not_stored(
    app, client, login_as, circle, sent, monkeypatch
):
    from app.plans.services import document

    def full(*args, **kwargs):
        raise StorageFullError()

    monkeypatch.setattr(document, "issue_document", full)
    login_as(circle.parent)
    response = give_answer(
        client, sent, answer="agree", typed_name="Ouder Petra", type_signature="y"
    )
    assert response.status_code == 400
    assert "geen ruimte meer" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PlanAnswer)) == 0
    assert len(documents_of(sent)) == 1


def test_a_pupil_from_sixteen_is_printed_as_the_pupil(
    app, client, login_as, make_user, make_child, tmp_path
):
    from datetime import date

    from app.circle.models import Membership, Role
    from tests.support.plans import sent_plan

    coach = make_user("Coach Carla", staff=True)
    parent = make_user("Ouder Petra")
    today = date.today()
    child = make_child("Jesse", coach=coach, parents=(parent,), born=date(today.year - 17, 1, 1))
    pupil = make_user("Jesse Jansen")
    db.session.add(Membership(child_id=child.id, user_id=pupil.id, role=Role.PUPIL))
    db.session.commit()
    version, _item = sent_plan(app, db.session.get(Child, child.id), coach)
    login_as(pupil)
    assert (
        give_answer(
            client, version, answer="agree", typed_name="Jesse Jansen", type_signature="y"
        ).status_code
        == 302
    )
    text = text_of(client.get(pdf_url(version)).get_data(), tmp_path)
    assert "Jesse Jansen Gaat akkoord" in text and "Bewijs: Jesse Jansen" in text
    assert "Rol leerling" in text  # on the evidence page
    # Who has not answered yet is listed too (a cell's lines may interleave with the next).
    assert re.search(r"Ouder Petra .{0,80}Nog niet beantwoord", text)
