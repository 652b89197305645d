"""Signing and withdrawing through the pages, with every kind of bad input."""

from __future__ import annotations

import base64
import re

import pytest
from sqlalchemy import func, select

from app.circle import policy
from app.circle.models import Child
from app.consent import services
from app.consent.models import ConsentRecord, ConsentTemplate, Purpose, RecordKind
from app.core.audit import AuditEvent
from app.core.db import db
from app.documents.models import Document
from tests.support.consent import signature_png


@pytest.fixture
def published(app, circle):
    with app.app_context():
        services.ensure_published_template(
            db.session, db.session.get(Child, circle.child.id).school, actor=None
        )
        db.session.commit()


def open_form(client, child, lang=None):
    url = f"/children/{child.id}/consent/sign" + (f"?lang={lang}" if lang else "")
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
    template_id = re.search(r'name="template_id" type="hidden" value="([^"]+)"', html).group(1)
    return url, html, {"token": token, "template_id": template_id}


def answers(**overrides):
    data = {p.value: "yes" for p in Purpose}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def drawn(png=None):
    return "data:image/png;base64," + base64.b64encode(png or signature_png()).decode()


def submit(client, url, hidden, **fields):
    data = {
        **hidden,
        **answers(),
        "typed_name": "Petra de Boer",
        "signature": drawn(),
        "confirm": "y",
    }
    data.update(fields)
    return client.post(url, data={k: v for k, v in data.items() if v is not None})


def records() -> int:
    return db.session.scalar(select(func.count(ConsentRecord.id)))


def test_parent_signs_and_everything_is_kept(client, login_as, circle, published, mailbox):
    login_as(circle.parent)
    url, html, hidden = open_form(client, circle.child)
    assert "Filmen op school" in html
    assert "checked" not in html  # nothing pre-ticked
    response = submit(client, url, hidden, peer_review="no")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/children/{circle.child.id}/consent"

    record = db.session.scalar(select(ConsentRecord))
    assert record.signer_id == circle.parent.id and record.kind is RecordKind.CONSENT
    assert record.answers["peer_review"] == "no" and record.answers["school_recording"] == "yes"
    assert record.typed_name == "Petra de Boer"
    assert record.signature_png.startswith(b"\x89PNG")
    assert record.language == "nl" and record.template_version == 1
    assert record.text_sha256 == services.sha256_text(record.text_shown)
    assert record.ip_address == "127.0.0.1"
    assert record.sign_in_method.value == "password"
    assert record.opened_at <= record.signed_at and record.signed_at.tzinfo is not None
    document = db.session.scalar(select(Document).where(Document.subject_id == record.id))
    assert document is not None and document.kind.value == "consent"
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.child_id == circle.child.id)
    ).all()
    assert {"consent_opened", "consent_signed", "document_issued"} <= set(actions)

    overview = client.get(f"/children/{circle.child.id}/consent").get_data(as_text=True)
    assert document.sha256[:16] in overview
    child_page = client.get(f"/children/{circle.child.id}").get_data(as_text=True)
    assert circle.parent2.name in child_page  # still has to answer


def test_english_text_on_request(client, login_as, circle, published):
    login_as(circle.parent)
    url, html, hidden = open_form(client, circle.child, lang="en")
    assert "Filming at school" in html
    assert submit(client, url, hidden).status_code == 302
    record = db.session.scalar(select(ConsentRecord))
    assert record.language == "en" and "Filming at school" in record.text_shown


def test_typed_signature_for_keyboard_users(client, login_as, circle, published):
    login_as(circle.parent)
    url, _, hidden = open_form(client, circle.child)
    assert submit(client, url, hidden, signature="", type_signature="y").status_code == 302
    record = db.session.scalar(select(ConsentRecord))
    assert record.signature_method.value == "typed" and record.signature_png is None


@pytest.mark.parametrize(
    "fields, error_id",
    [
        ({"typed_name": ""}, "typed_name-error"),
        ({"typed_name": "x" * 121}, "typed_name-error"),
        ({"signature": ""}, "signature-error"),
        ({"signature": "data:image/png;base64,bm90IGEgcG5n"}, "signature-error"),
        ({"signature": "data:image/png;base64,%%%"}, "signature-error"),
        ({"confirm": None}, "confirm-error"),
        ({"school_recording": None}, "school_recording-error"),
        ({"retention": "maybe"}, "retention-error"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_stored(
    client, login_as, circle, published, fields, error_id
):
    login_as(circle.parent)
    url, _, hidden = open_form(client, circle.child)
    response = submit(client, url, hidden, **fields)
    assert response.status_code == 200
    assert f'id="{error_id}"' in response.get_data(as_text=True)
    assert records() == 0


def test_an_empty_drawing_is_no_signature(client, login_as, circle, published):
    login_as(circle.parent)
    url, _, hidden = open_form(client, circle.child)
    response = submit(client, url, hidden, signature=drawn(signature_png(draw=False)))
    assert 'id="signature-error"' in response.get_data(as_text=True)
    assert records() == 0


def test_template_changed_while_the_form_was_open(
    app, client, login_as, circle, published, make_user
):
    login_as(circle.parent)
    url, _, hidden = open_form(client, circle.child)
    with app.app_context():
        school = db.session.get(Child, circle.child.id).school
        admin = make_user(admin=True)
        draft = services.start_draft(db.session, school, actor=admin)
        services.publish(db.session, draft, actor=admin)
        db.session.commit()
    response = submit(client, url, hidden)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert 'class="form-errors"' in page
    assert records() == 0
    # The page now carries the new version; answering it works.
    new_hidden = {
        "token": re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1),
        "template_id": re.search(r'name="template_id" type="hidden" value="([^"]+)"', page).group(
            1
        ),
    }
    assert submit(client, url, new_hidden).status_code == 302
    assert db.session.scalar(select(ConsentRecord.template_version)) == 2


def test_a_double_submit_stores_one_record(client, login_as, circle, published):
    login_as(circle.parent)
    url, _, hidden = open_form(client, circle.child)
    assert submit(client, url, hidden).status_code == 302
    again = submit(client, url, hidden)
    assert again.status_code == 302
    assert records() == 1
    assert db.session.scalar(select(func.count(Document.id))) == 1


def test_a_forged_or_foreign_token_is_refused(client, login_as, circle, published):
    login_as(circle.parent2)
    url, _, hidden = open_form(client, circle.child)
    client.post("/sign-out")
    login_as(circle.parent)
    response = submit(client, url, hidden)  # parent2's form, sent by parent
    assert response.status_code == 400 and records() == 0
    response = submit(client, url, {**hidden, "token": hidden["token"][:-3] + "abc"})
    assert response.status_code == 400 and records() == 0


def test_consent_for_a_child_outside_the_circle_is_404(
    client, login_as, circle, published, make_child, make_user
):
    other = make_child("Ander Kind", coach=make_user(staff=True))
    login_as(circle.parent)
    assert client.get(f"/children/{other.id}/consent/sign").status_code == 404
    assert client.post(f"/children/{other.id}/consent/sign", data=answers()).status_code == 404
    assert records() == 0


def test_school_side_cannot_sign(client, login_as, circle, published):
    login_as(circle.teacher)
    assert client.get(f"/children/{circle.child.id}/consent/sign").status_code == 403


def test_parents_cannot_sign_for_a_pupil_of_sixteen(client, login_as, circle, published):
    child = db.session.get(Child, circle.child.id)
    child.date_of_birth = child.date_of_birth.replace(year=2005)
    db.session.commit()
    login_as(circle.parent)
    assert client.get(f"/children/{circle.child.id}/consent/sign").status_code == 403


def test_no_published_text_yet_says_so(client, login_as, circle):
    login_as(circle.parent)
    response = client.get(f"/children/{circle.child.id}/consent/sign")
    assert response.status_code == 409
    assert db.session.scalar(select(func.count(ConsentTemplate.id))) == 0


# --- withdrawing ----------------------------------------------------------------------------


def sign_via_pages(client, circle):
    url, _, hidden = open_form(client, circle.child)
    assert submit(client, url, hidden).status_code == 302


def withdraw_via_pages(client, child, purpose):
    url = f"/children/{child.id}/consent/withdraw?purpose={purpose}"
    page = client.get(url)
    assert page.status_code == 200
    token = re.search(
        r'name="token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)
    ).group(1)
    return client.post(url, data={"token": token})


def test_withdrawal_in_two_clicks_takes_effect_on_the_next_request(
    app, client, login_as, circle, published
):
    login_as(circle.parent)
    sign_via_pages(client, circle)
    with app.app_context():
        assert services.allows(db.session.get(Child, circle.child.id), Purpose.SCHOOL_RECORDING)

    response = withdraw_via_pages(client, circle.child, "school_recording")
    assert response.status_code == 302

    with app.app_context():
        assert not services.allows(db.session.get(Child, circle.child.id), Purpose.SCHOOL_RECORDING)
        assert services.allows(db.session.get(Child, circle.child.id), Purpose.HOME_RECORDING)
    withdrawal = db.session.scalar(
        select(ConsentRecord).where(ConsentRecord.kind == RecordKind.WITHDRAWAL)
    )
    assert withdrawal.withdrawn == ["school_recording"]
    assert withdrawal.signature_method.value == "confirmed"
    earlier_pdf = db.session.scalar(select(Document.sha256).order_by(Document.id))
    assert earlier_pdf in withdrawal.text_shown
    assert db.session.scalar(select(func.count(Document.id))) == 2
    assert "consent_withdrawn" in db.session.scalars(select(AuditEvent.action)).all()
    page = client.get(f"/children/{circle.child.id}/consent").get_data(as_text=True)
    assert "state-withdrawn" in page


def test_withdraw_all(app, client, login_as, circle, published):
    login_as(circle.parent)
    sign_via_pages(client, circle)
    withdraw_via_pages(client, circle.child, "all")
    with app.app_context():
        child = db.session.get(Child, circle.child.id)
        assert not any(services.allows(child, p) for p in Purpose)


def test_withdrawing_twice_with_one_form_stores_one_record(
    app, client, login_as, circle, published
):
    login_as(circle.parent)
    sign_via_pages(client, circle)
    url = f"/children/{circle.child.id}/consent/withdraw?purpose=all"
    token = re.search(
        r'name="token" type="hidden" value="([^"]+)"', client.get(url).get_data(as_text=True)
    ).group(1)
    assert client.post(url, data={"token": token}).status_code == 302
    # Signing again makes every part withdrawable once more, so the page itself has no reason
    # to refuse the old form sent a second time: only its one-time nonce stops it.
    sign_via_pages(client, circle)
    assert records() == 3
    again = client.post(url + "&lang=en", data={"token": token}, follow_redirects=True)
    assert again.status_code == 200 and "already saved" in again.get_data(as_text=True)
    assert records() == 3
    with app.app_context():
        assert services.allows(db.session.get(Child, circle.child.id), Purpose.SCHOOL_RECORDING)


def test_a_signing_form_token_does_not_open_a_withdrawal(client, login_as, circle, published):
    login_as(circle.parent)
    url, _, hidden = open_form(client, circle.child)
    assert submit(client, url, hidden).status_code == 302
    response = client.post(
        f"/children/{circle.child.id}/consent/withdraw?purpose=all",
        data={"token": hidden["token"]},
    )
    assert response.status_code == 400 and 'class="form-errors"' in response.get_data(as_text=True)
    assert records() == 1


def test_nothing_to_withdraw_changes_nothing(client, login_as, circle, published):
    login_as(circle.parent)
    response = client.get(f"/children/{circle.child.id}/consent/withdraw?purpose=all")
    assert response.status_code == 302 and records() == 0


# --- documents and requests -----------------------------------------------------------------


def test_pdf_download_for_the_signer_and_the_coach_only(app, client, login_as, circle, published):
    login_as(circle.parent)
    sign_via_pages(client, circle)
    record = db.session.scalar(select(ConsentRecord))
    url = f"/children/{circle.child.id}/consent/records/{record.id}/pdf"
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert "no-store" in response.headers["Cache-Control"]

    for person, status in ((circle.coach, 200), (circle.parent2, 403), (circle.teacher, 403)):
        other = login_as(person, on=app.test_client())
        assert other.get(url).status_code == status, person.name


def test_record_id_of_another_child_is_404(app, client, login_as, circle, published, make_child):
    other = make_child("Ander Kind", coach=circle.coach, parents=(circle.parent,))
    login_as(circle.parent)
    sign_via_pages(client, circle)
    record = db.session.scalar(select(ConsentRecord))
    assert client.get(f"/children/{other.id}/consent/records/{record.id}/pdf").status_code == 404


def test_coach_asks_the_parents_who_have_not_answered(client, login_as, circle, published, mailbox):
    login_as(circle.parent)
    sign_via_pages(client, circle)
    client.post("/sign-out")
    login_as(circle.coach)
    assert client.post(f"/children/{circle.child.id}/consent/request").status_code == 302
    assert mailbox.to(circle.parent.email) == []
    mail = mailbox.last_to(circle.parent2.email)
    assert f"/children/{circle.child.id}/consent/sign" in mailbox.text_of(mail)
    assert "consent_requested" in db.session.scalars(select(AuditEvent.action)).all()


def test_no_route_changes_a_signed_record(app, client, login_as, circle, published):
    login_as(circle.parent)
    sign_via_pages(client, circle)
    record = db.session.scalar(select(ConsentRecord))
    before = {c.name: getattr(record, c.name) for c in ConsentRecord.__table__.columns}
    hostile = {
        **answers(school_recording="no"),
        "typed_name": "Vervalst",
        "record_id": str(record.id),
        "signature": drawn(),
        "confirm": "y",
    }
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()) or rule.endpoint in {"auth.sign_out", "static"}:
            continue
        values = {
            "child_id": circle.child.id,
            "record_id": record.id,
            "template_id": record.template_id,
            "membership_id": 1,
            "invitation_id": 1,
            "user_id": circle.parent.id,
            "clip_id": 1,
            "moment_id": 1,
            "tag_id": 1,
            "meeting_id": 1,
            "item_id": 1,
            "agreement_id": 1,
            "export_id": 1,
            "plan_version_id": 1,
            "plan_item_id": 1,
        }
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **{k: values[k] for k in rule.arguments})
        client.post(url, data=hostile)
    db.session.expire_all()
    after = {
        c.name: getattr(db.session.get(ConsentRecord, record.id), c.name)
        for c in ConsentRecord.__table__.columns
    }
    assert after == before


# --- who signed, and what each hash covers -------------------------------------------------


def records_section(page: str) -> str:
    return page[page.index('id="records-title"') :]


def test_a_typed_name_is_shown_beside_the_account_holder(app, client, login_as, circle, published):
    login_as(circle.parent)
    url, _, hidden = open_form(client, circle.child)
    assert submit(client, url, hidden, typed_name="Mickey Mouse").status_code == 302
    client.post("/sign-out")
    coach = login_as(circle.coach, on=app.test_client())
    page = coach.get(f"/children/{circle.child.id}/consent?lang=en").get_data(as_text=True)
    listed = " ".join(re.sub(r"<[^>]+>", " ", records_section(page)).split())
    assert circle.parent.name in listed
    assert "typed name: Mickey Mouse" in listed
    assert listed.index(circle.parent.name) < listed.index("Mickey Mouse")


def test_the_record_list_says_its_hash_is_the_pdfs(client, login_as, circle, published):
    login_as(circle.parent)
    sign_via_pages(client, circle)
    document = db.session.scalar(select(Document))
    page = client.get(f"/children/{circle.child.id}/consent?lang=en").get_data(as_text=True)
    section = records_section(page)
    label = section.index("SHA-256 of the PDF")
    chunks = re.findall(r'<code class="hash-chunks"[^>]*>(.*?)</code>', section[label:])[0]
    parts = re.findall(r"<span>([0-9a-f]+)</span>", chunks)
    # The whole hash, in four even chunks that wrap only between them.
    assert "".join(parts) == document.sha256 and {len(p) for p in parts} == {16}
    assert "Text version 1" in section[:label]


def test_an_error_while_deciding_who_signs_denies(client, login_as, circle, published, monkeypatch):
    def broken(child, on=None):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(policy, "deciding_role", broken)
    login_as(circle.parent)
    assert client.get(f"/children/{circle.child.id}/consent/sign").status_code == 403
    assert client.post(f"/children/{circle.child.id}/consent/withdraw").status_code == 403
    assert records() == 0
