"""Every form, walked: bad input gets a clear answer, never a 500 (SECURITY E, F.27).

Two walks that a new route or form joins without anyone remembering to add it:
- every POST route of ``app.url_map``, used by someone allowed to, with each field of its form
  sent as a file part (a script can do that; a browser only for ``<input type="file">``);
- every form class of every feature: each text field has a length cap, and each one-line field
  refuses a line break and a NUL character.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, StringField, TextAreaField

from app.auth.services import create_password_link, token_digest
from app.children.export.models import ChildExport, ExportState
from app.circle import policy, routes
from app.circle.audience import Audience
from app.circle.models import Invitation, Membership, Role
from app.circle.routes import Scope
from app.clips.models import Moment, MomentTag, Tag
from app.core import forms as core_forms
from app.core.db import db, utcnow
from app.core.requests import file_fields
from app.meetings.models import AgendaItem
from app.meetings.models_followup import Agreement, Party
from app.plans.models import PlanItem
from tests.support.consent import sign_consent
from tests.support.forms import all_forms
from tests.support.meetings import plan
from tests.support.plans import draft_plan

REFUSED = "A text field arrived as a file"
INVITATION_TOKEN = "an-invitation-token-for-the-walk"

#: Who uses a route of each scope in the walk (a child's routes: the first role allowed).
CHILD_ROLES = (Role.COACH, Role.TEACHER, Role.SPECIALIST, Role.PARENT)

#: Fields of the forms behind POST-only buttons (sign-out, language, confirmations).
BUTTON_FIELDS = ("csrf_token", "language", "next", "confirm")


@pytest.fixture
def world(app, circle, make_user, make_clip):
    admin = make_user("Beheerder Bea", admin=True)
    clip = make_clip(circle.child, circle.coach, audience=Audience.CIRCLE)
    moment = Moment(
        child_id=circle.child.id,
        clip_id=clip.id,
        author_id=circle.coach.id,
        start_s=1.0,
        tag=Tag.NEED,
        audience=Audience.CIRCLE,
    )
    tag = MomentTag(school_id=circle.child.school_id, label="Eigen label")
    db.session.add_all([moment, tag])
    invitation = Invitation(
        child_id=circle.child.id,
        email="open@example.nl",
        name="Open Uitnodiging",
        role=Role.PARENT,
        token_hash=token_digest(INVITATION_TOKEN),
        expires_at=utcnow() + timedelta(days=3),
    )
    db.session.add(invitation)
    db.session.commit()
    membership_id = db.session.scalar(
        select(Membership.id).where(
            Membership.child_id == circle.child.id, Membership.user_id == circle.parent2.id
        )
    )
    record = sign_consent(app, circle.child, circle.parent)
    meeting = plan(app, circle.child, circle.coach, [circle.coach, circle.teacher, circle.parent])
    item = AgendaItem(meeting_id=meeting.id, child_id=circle.child.id, position=1, clip_id=clip.id)
    db.session.add(item)
    agreement = Agreement(
        meeting_id=meeting.id,
        child_id=circle.child.id,
        text="Samen lezen",
        party=Party.HOME,
        owner_id=circle.parent.id,
        due_on=meeting.starts_at.date() + timedelta(days=14),
    )
    db.session.add(agreement)
    db.session.commit()
    draft = draft_plan(app, circle.child, circle.coach)
    with app.test_request_context():
        reset_token = create_password_link(db.session, circle.parent2, valid_for=timedelta(hours=1))
        db.session.commit()  # before the request context ends and removes the session
    people = {
        Role.COACH: circle.coach,
        Role.TEACHER: circle.teacher,
        Role.SPECIALIST: circle.specialist,
        Role.PARENT: circle.parent,
        "admin": admin,
    }
    export = ChildExport(
        child_id=circle.child.id,
        requester_id=circle.coach.id,
        state=ExportState.QUEUED,
        expires_at=utcnow() + timedelta(days=1),
    )
    db.session.add(export)
    db.session.commit()
    values = {
        "export_id": export.id,
        "child_id": circle.child.id,
        "membership_id": membership_id,
        "invitation_id": invitation.id,
        "user_id": circle.teacher.id,
        "record_id": record.id,
        "template_id": record.template_id,
        "clip_id": clip.id,
        "moment_id": moment.id,
        "tag_id": tag.id,
        "meeting_id": meeting.id,
        "item_id": item.id,
        "agreement_id": agreement.id,
        "plan_version_id": draft.id,
        "plan_item_id": db.session.scalar(
            select(PlanItem.id).where(PlanItem.plan_version_id == draft.id)
        ),
    }
    # Pages that find their object by a token in the query string, so that the walk sees
    # (and sends back) the fields of their real forms.
    query = {
        "auth.reset": {"token": reset_token},
        "people.accept": {"token": INVITATION_TOKEN},
    }
    return people, values, query


def user_for(rule: routes.RouteRule, people: dict) -> object | None:
    """Someone the route's rule lets in (None: anyone, signed out)."""
    if rule.scope is Scope.PUBLIC:
        return None
    if rule.scope in (Scope.SIGNED_IN, Scope.STAFF):
        return people[Role.COACH]
    if rule.scope is Scope.ADMIN:
        return people["admin"]
    role = next(r for r in CHILD_ROLES if policy.role_allows(r, rule.action))
    return people[role]


def field_names(page: str) -> list[str]:
    """The names of the fields in the page's POST forms."""
    names: list[str] = []
    for form in re.findall(r'<form[^>]*method="post".*?</form>', page, flags=re.S | re.I):
        for name in re.findall(r'<(?:input|select|textarea)[^>]*\sname="([^"]+)"', form):
            if name not in names:
                names.append(name)
    return names


def post_routes(app) -> Iterator[tuple[str, frozenset[str], bool]]:
    for rule in app.url_map.iter_rules():
        if "POST" in (rule.methods or set()):
            yield rule.endpoint, frozenset(rule.arguments), "GET" in (rule.methods or set())


def test_every_form_field_sent_as_a_file_gets_a_clear_400(app, login_as, world):
    people, values, query = world
    walked, wrong = [], []
    for endpoint, arguments, has_page in post_routes(app):
        with app.test_request_context():
            rule = routes.rule_for(endpoint)
            assert rule is not None, endpoint
            unknown = arguments - values.keys()
            assert not unknown, f"{endpoint}: give the walk a value for {sorted(unknown)}"
            url = url_for(
                endpoint,
                lang="en",
                **query.get(endpoint, {}),
                **{k: values[k] for k in arguments},
            )
            allowed_files = file_fields(endpoint)
        client = app.test_client()
        user = user_for(rule, people)
        if user is not None:
            login_as(user, on=client)
        names = list(BUTTON_FIELDS)
        if has_page:
            page = client.get(url)
            if page.status_code == 200:
                names = field_names(page.get_data(as_text=True)) or names
        for name in names:
            if name in allowed_files:
                continue  # a real file field: sending a file there is what it is for
            response = client.post(
                url,
                data={name: (io.BytesIO(b"x"), "x.txt")},
                content_type="multipart/form-data",
            )
            walked.append((endpoint, name))
            text = response.get_data(as_text=True)
            if response.status_code != 400 or REFUSED not in text:
                wrong.append((endpoint, name, response.status_code))
    assert wrong == []
    # The walk reached the forms people fill in, field by field.
    for expected in [
        ("auth.sign_in", "email"),
        ("auth.forgot_password", "email"),
        ("auth.account", "password-current"),
        ("auth.reset", "password"),
        ("people.accept", "name"),
        ("people.edit_child", "name"),
        ("people.invite", "email"),
        ("consent.sign", "typed_name"),
        ("admin.new_staff", "name"),
        ("children.erase_child_confirm", "name"),
        ("documents.verify", "csrf_token"),
        ("meetings.new", "place"),
        ("meetings.edit", "guiding_question"),
        ("meetings.edit_item", "prep_note"),
    ]:
        assert expected in walked


def test_a_declared_file_field_still_takes_a_file(app, login_as, circle):
    client = login_as(circle.coach)
    response = client.post(
        "/documents/verify",
        data={"file": (io.BytesIO(b"%PDF-1.7 not really"), "check.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert REFUSED not in response.get_data(as_text=True)


def test_a_text_field_sent_as_a_file_changes_nothing_and_is_logged(app, login_as, circle, caplog):
    client = login_as(circle.coach)
    before = circle.child.name
    response = client.post(
        f"/children/{circle.child.id}/edit",
        data={
            "name": (io.BytesIO(b"Nieuwe naam"), "naam.txt"),
            "group_name": "groep 5",
            "date_of_birth": "2017-05-02",
            "guiding_question": "Wat heeft Sem nodig?",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert circle.child.name == before
    assert any("file part refused" in r.getMessage() for r in caplog.records)


# --- every form class: length caps and one-line fields ----------------------------------------


def text_fields(form: FlaskForm) -> Iterator[StringField]:
    for field in form:
        # Hidden fields are never typed by a person; the body cap (MAX_FORM_MEMORY_SIZE) bounds
        # them, and the views that read them check them (tokens, signatures, next addresses).
        if isinstance(field, StringField) and not isinstance(field, HiddenField):
            yield field


def errors_for(form: FlaskForm, field: StringField, value: str) -> list[str]:
    field.process(MultiDict({field.name: value}))
    field.validate(form)
    return [str(e) for e in field.errors]


def test_every_text_field_has_a_length_cap(app):
    with app.test_request_context("/?lang=en"):
        forms = all_forms()
        assert len(forms) >= 10  # the walk found the forms
        uncapped = [
            f"{type(form).__name__}.{field.name}"
            for form in forms
            for field in text_fields(form)
            if not any(getattr(v, "max", -1) > 0 for v in field.validators)
        ]
    assert uncapped == []


@pytest.mark.parametrize(
    "bad",
    [
        "Anna\nde Vries",
        "Anna\x00",
        "Anna\r\nBcc: x@example.nl",
        "Peter\u202eBakker",  # shows as "PeterrekaB"
        "\u2067Peter Bakker\u2069",
        "No\u200bah",  # looks like "Noah"
        "Noah\u2060",
        "\ufeffNoah",
    ],
)
def test_every_one_line_field_refuses_control_characters(app, bad):
    with app.test_request_context("/?lang=en"):
        accepted = []
        for form in all_forms():
            for field in text_fields(form):
                if isinstance(field, TextAreaField) or is_password_to_check(field):
                    continue
                errors = errors_for(form, field, bad)
                if not any("one line" in e for e in errors):
                    accepted.append(f"{type(form).__name__}.{field.name}")
    assert accepted == []


def is_password_to_check(field: StringField) -> bool:
    """A password compared with the stored one: it takes what it was set with, whatever that
    holds (a tab pasted years ago must still sign in)."""
    return any(isinstance(v, core_forms.TextOnly) for v in field.validators)


def test_every_text_of_several_lines_refuses_invisible_characters(app):
    # PostgreSQL refuses NUL in text: accepted here it would be a 500 there.
    with app.test_request_context("/?lang=en"):
        accepted = [
            f"{type(form).__name__}.{field.name}"
            for form in all_forms()
            for field in text_fields(form)
            if isinstance(field, TextAreaField)
            and not any("invisible" in e for e in errors_for(form, field, "Eerste regel\n\x00"))
        ]
    assert accepted == []


def test_a_text_of_several_lines_keeps_its_line_breaks(app):
    from app.people.forms import TrajectoryForm

    with app.test_request_context("/?lang=en"):
        form = TrajectoryForm()
        text = "Wat heeft Sem nodig?\r\nEn hoe bieden we dat?\tThuis en op school."
        assert errors_for(form, form.guiding_question, text) == []


def test_a_password_set_with_a_tab_still_signs_in(app, client, make_user):
    user = make_user(password="een\tgoed wachtwoord")
    response = client.post(
        "/sign-in", data={"email": user.email, "password": "een\tgoed wachtwoord"}
    )
    assert response.status_code == 302


def test_a_one_line_field_keeps_accepting_ordinary_names(app):
    from app.people.forms import InviteForm

    with app.test_request_context("/?lang=en"):
        form = InviteForm()
        names = ["Anna de Vries", "Elif Yılmaz", "Zoë van 't Hof-Öztürk", "O'Brien-Ünal"]
        # The joiners Persian, the Indic scripts and emoji need.
        names += [
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
            "Emma \U0001f469\u200d\U0001f467",
        ]
        for name in names:
            assert errors_for(form, form.name, name) == []


def test_a_refused_field_name_cannot_forge_a_log_line(app, client, caplog):
    response = client.post(
        "/sign-in",
        data={"email\x1b[31m sign_in ok": (io.BytesIO(b"x"), "x.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    logged = [r.getMessage() for r in caplog.records if "file part refused" in r.getMessage()]
    assert logged and not any(c in line for line in logged for c in "\x1b\r\n")
