"""The shared form pieces: e-mail addresses, one-line text, password fields, and the core's
independence from the features."""

from __future__ import annotations

import ast
import io
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage, MultiDict

from app.auth.forms import ChangePasswordForm, NewPasswordForm, SignInForm
from app.core import forms as core_forms
from app.core.text import single_line
from tests.support.infra import PASSWORD

CORE = Path(core_forms.__file__).parent


def sign_in(client, email, password=PASSWORD):
    return client.post("/sign-in", data={"email": email, "password": password})


@pytest.mark.parametrize("typed", ["{} ", " {}", "\t{} ", " {}  "])
def test_an_address_with_spaces_around_it_signs_in(client, circle, typed):
    # Phone keyboards add a space after a suggested address.
    assert sign_in(client, typed.format(circle.parent.email)).status_code == 302


def test_an_address_with_a_space_is_trimmed_when_a_reset_is_asked(client, circle, mailbox):
    response = client.post("/forgot-password", data={"email": f" {circle.parent.email} "})
    assert response.status_code == 200
    assert len(mailbox.to(circle.parent.email)) == 1


def test_an_invitation_to_an_address_with_a_space_goes_to_the_trimmed_address(
    client, login_as, circle, mailbox
):
    login_as(circle.coach)
    response = client.post(
        f"/children/{circle.child.id}/invite",
        data={
            "name": "Opa Jan",
            "email": "  opa.jan@example.nl ",
            "role": "parent",
            "language": "nl",
        },
    )
    assert response.status_code == 302
    assert len(mailbox.to("opa.jan@example.nl")) == 1


def test_sign_in_page_asks_for_an_e_mail_address_and_a_current_password(client):
    page = client.get("/sign-in").get_data(as_text=True)
    email = next(tag for tag in page.split("<input") if 'name="email"' in tag)
    password = next(tag for tag in page.split("<input") if 'name="password"' in tag)
    assert 'type="email"' in email and 'autocomplete="username"' in email
    assert 'maxlength="254"' in email
    assert 'type="password"' in password and 'autocomplete="current-password"' in password


def test_forgot_password_page_asks_for_an_e_mail_address(client):
    page = client.get("/forgot-password").get_data(as_text=True)
    email = next(tag for tag in page.split("<input") if 'name="email"' in tag)
    assert 'type="email"' in email and 'autocomplete="username"' in email


def test_account_page_password_fields_carry_their_hints(client, login_as, circle):
    login_as(circle.parent)
    page = client.get("/account").get_data(as_text=True)
    tags = {
        name: next(tag for tag in page.split("<input") if f'name="{name}"' in tag)
        for name in ("password-current", "password-password", "password-confirm")
    }
    assert 'autocomplete="current-password"' in tags["password-current"]
    assert 'autocomplete="new-password"' in tags["password-password"]
    assert 'autocomplete="new-password"' in tags["password-confirm"]


@pytest.mark.parametrize("form_class", [SignInForm, NewPasswordForm, ChangePasswordForm])
def test_password_fields_refuse_a_file_object_without_an_error(app, form_class):
    # Defence in depth behind the request hook: a validator never measures a file object.
    with app.test_request_context("/?lang=en"):
        form = form_class(formdata=None)
        for field in form:
            if field.type != "PasswordField":
                continue
            upload = FileStorage(io.BytesIO(b"x"), filename="x.txt", name=field.name)
            field.process(MultiDict({field.name: upload}))
            assert not field.validate(form)
            assert "Send this field as text." in [str(e) for e in field.errors]


def test_one_line_refuses_unicode_line_separators_and_accepts_accents(app):
    with app.test_request_context("/?lang=en"):
        form = SignInForm(formdata=None)
        check = core_forms.one_line()
        for bad in ["Anna\u2028de Vries", "Anna\x1b[31m", "Anna\x7f"]:
            form.email.data = bad
            with pytest.raises(core_forms.ValidationError, match="one line"):
                check(form, form.email)
        form.email.data = "Zoë Çelik-Ünal"
        check(form, form.email)


def test_direction_overrides_are_dropped_when_a_value_is_put_on_one_line():
    # A name may not show as something else: "Peter\u202eBakker" reads "PeterrekaB".
    assert single_line("Peter\u202eBakker") == "PeterBakker"
    assert single_line("\u2067Peter\u2069 \u202aBakker\u202c") == "Peter Bakker"
    # Marks that only state a direction, and joiners, are part of some names and stay.
    assert single_line("\u05d3\u05e0\u05d4\u200f") == "\u05d3\u05e0\u05d4\u200f"
    assert single_line("\u0645\u200c\u06cc") == "\u0645\u200c\u06cc"


def test_plain_text_keeps_line_breaks_and_refuses_nul(app):
    with app.test_request_context("/?lang=en"):
        form = SignInForm(formdata=None)
        check = core_forms.plain_text()
        form.email.data = "Eerste regel.\r\nTweede regel.\tMet tab."
        check(form, form.email)
        form.email.data = "Eerste regel.\x00"
        with pytest.raises(core_forms.ValidationError, match="invisible"):
            check(form, form.email)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("module", ["forms.py", "passwords.py", "requests.py"])
def test_the_shared_form_pieces_import_no_feature(module):
    features = ("app.auth", "app.admin", "app.people", "app.consent", "app.documents")
    imported = _imports(CORE / module)
    assert not [m for m in imported if m.startswith(features)]


def test_weak_passwords_are_refused_by_the_core_rule():
    from app.core.passwords import password_problem

    assert password_problem("wachtwoord123") == "common"
    assert password_problem("petra@example.nl", email="petra@example.nl") == "personal"
    assert password_problem("kort") == "too_short"
    assert password_problem("x" * 129) == "too_long"
    assert password_problem("een lange zin die ik onthoud") is None
