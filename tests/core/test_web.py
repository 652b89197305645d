"""Headers, CSRF, error pages, logging and settings (SECURITY B.7, E.22, E.24, E.25, F.26-27)."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from flask import abort
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app import create_app
from app.circle.models import Child, Invitation
from app.core import web
from app.core.db import db
from app.core.errors import ForbiddenError, NotFoundError
from app.core.logs import SafeFormatter
from config import ProductionConfig, TestConfig
from tests.support.infra import PASSWORD


def test_security_headers_on_every_response(client, login_as, circle):
    for response in (
        client.get("/sign-in"),
        client.get("/static/css/app.css"),
        client.get("/nope"),
    ):
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        for part in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
            assert part in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
    login_as(circle.parent)
    assert client.get("/").headers["Cache-Control"] == "no-store"
    assert client.get("/nope").headers["Cache-Control"] == "no-store"
    # Stylesheets and scripts hold nobody's data: a signed-in browser may cache them.
    assert "no-store" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")


def test_pages_have_no_inline_script(client, login_as, circle):
    login_as(circle.coach)
    for url in (
        "/",
        f"/children/{circle.child.id}",
        f"/children/{circle.child.id}/invite",
        "/account",
    ):
        page = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", page), url  # only external scripts
        assert " onclick=" not in page and "javascript:" not in page


def test_hsts_in_production_only(client, production_app):
    assert "Strict-Transport-Security" not in client.get("/sign-in").headers
    secure = production_app.test_client()
    for url in ("/sign-in", "/static/css/app.css", "/nope"):
        response = secure.get(url, base_url="https://localhost")
        assert response.headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains"
        ), url


def test_production_refuses_a_missing_or_default_secret_key(monkeypatch):
    for value in (None, "dev-only-not-secret", "short"):
        monkeypatch.setattr(ProductionConfig, "SECRET_KEY", value)
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app(ProductionConfig)


@pytest.fixture
def csrf_app(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    return app


def test_forms_without_a_valid_csrf_token_are_refused(csrf_app, circle, caplog):
    client = csrf_app.test_client()
    response = client.post("/sign-in", data={"email": circle.parent.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "form" in response.get_data(as_text=True).lower()
    assert client.get("/").status_code == 302  # not signed in

    page = client.get("/sign-in").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/sign-in", data={"email": circle.parent.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302

    # Sign-out is a state change too: a forged one does nothing.
    with caplog.at_level(logging.WARNING, logger="beeldbrug.web"):
        assert client.post("/sign-out", data={"csrf_token": "forged"}).status_code == 400
    assert client.get("/").status_code == 200
    assert "csrf failure" in caplog.text

    # A forged invitation creates nothing.
    before = db.session.scalar(select(func.count(Child.id)))
    assert (
        client.post("/children/new", data={"name": "X", "csrf_token": "forged"}).status_code == 400
    )
    assert db.session.scalar(select(func.count(Child.id))) == before


def test_no_stack_trace_reaches_the_user(database_url, tmp_path):
    from app.circle import routes

    app = create_app(TestConfig, DATABASE_URL=database_url, MEDIA_ROOT=tmp_path)

    @app.get("/boom")
    @routes.public
    def boom():
        raise ValueError("secret internals /etc/passwd")

    response = app.test_client().get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Traceback" not in body and "secret internals" not in body and "ValueError" not in body


def test_a_locked_database_answers_503_with_retry_after(database_url, tmp_path):
    from app.circle import routes

    app = create_app(TestConfig, DATABASE_URL=database_url, MEDIA_ROOT=tmp_path)

    @app.post("/locked")
    @routes.public
    def locked():
        raise OperationalError("UPDATE x", {}, Exception("database is locked"))

    response = app.test_client().post("/locked")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"


@pytest.mark.parametrize(
    ("error", "status"), [(NotFoundError("gone"), 404), (ForbiddenError("not yours"), 403)]
)
def test_a_services_domain_error_answers_as_the_same_error_page(
    database_url, tmp_path, error, status
):
    from app.circle import routes

    app = create_app(TestConfig, DATABASE_URL=database_url, MEDIA_ROOT=tmp_path)

    @app.get("/refused")
    @routes.public
    def refused():
        raise error

    @app.get("/aborted")
    @routes.public
    def aborted():
        abort(status)

    client = app.test_client()
    by_service, by_abort = client.get("/refused"), client.get("/aborted")
    assert by_service.status_code == by_abort.status_code == status
    # The same page but for the address and the forms' CSRF tokens, which carry the second
    # they were made in.
    token = re.compile(r'name="csrf_token" value="[^"]*"')
    page = token.sub("", by_service.get_data(as_text=True))
    assert page == token.sub("", by_abort.get_data(as_text=True)).replace("/aborted", "/refused")
    assert error.reason not in page  # the reason is for the log


def test_unknown_route_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "<h1>" in response.get_data(as_text=True)


def test_log_lines_escape_newlines():
    formatter = SafeFormatter("%(message)s")
    record = logging.LogRecord(
        "beeldbrug", logging.INFO, "", 0, "name=%s", ("Eve\nINFO forged line",), None
    )
    line = formatter.format(record)
    assert "\n" not in line and "Eve\\nINFO forged line" in line


def test_log_records_are_in_utc():
    formatter = SafeFormatter("%(asctime)s", "%Y-%m-%dT%H:%M:%S")
    record = logging.LogRecord("beeldbrug", logging.INFO, "", 0, "x", (), None)
    record.created = 0
    assert formatter.format(record) == "1970-01-01T00:00:00"


def test_no_password_or_token_in_the_log(client, circle, mailbox, caplog):
    with caplog.at_level(logging.DEBUG):
        client.post("/sign-in", data={"email": circle.parent.email, "password": "my secret pw"})
        client.post("/sign-in", data={"email": circle.parent.email, "password": PASSWORD})
        client.post("/forgot-password", data={"email": circle.parent.email})
    token = mailbox.link_in(mailbox.last_to(circle.parent.email)).split("token=")[1]
    # Everything logged, except the test's own SMTP server (which logs what it receives).
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail.log"))
    assert "my secret pw" not in logged and PASSWORD not in logged
    assert token not in logged
    session_cookie = client.get_cookie("beeldbrug_session").value
    assert session_cookie not in logged


def test_denied_access_is_logged_with_who_and_where(
    client, login_as, circle, make_child, make_user, caplog
):
    other = make_child("Ander Kind", coach=make_user(staff=True))
    login_as(circle.teacher)
    with caplog.at_level(logging.WARNING, logger="beeldbrug.access"):
        client.get(f"/children/{other.id}")
        client.post(f"/children/{circle.child.id}/invite", data={})
    lines = [r.getMessage() for r in caplog.records if r.name == "beeldbrug.access"]
    assert any(
        "not_in_circle" in line
        and f"user={circle.teacher.id}" in line
        and "address=127.0.0.1" in line
        for line in lines
    )
    assert any("may_not_invite" in line for line in lines)


def test_an_oversized_body_is_refused_with_a_clear_page(client):
    response = client.post("/sign-in", data={"email": "x" * (5 * 1024 * 1024), "password": "p"})
    assert response.status_code == 413
    assert "<h1>" in response.get_data(as_text=True)


def test_a_form_body_over_the_form_limit_is_refused_and_not_echoed(client, login_as, circle):
    login_as(circle.coach)
    name = "Anna " + "x" * (1024 * 1024)
    response = client.post(
        f"/children/{circle.child.id}/invite",
        data={"name": name, "email": "anna@example.nl", "role": "teacher"},
    )
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "Nothing was saved" in page or "Er is niets opgeslagen" in page
    assert len(page) < 64 * 1024
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_a_signing_form_takes_a_drawn_signature_larger_than_other_forms(client, login_as, circle):
    login_as(circle.parent)
    drawing = "data:image/png;base64," + "A" * (600 * 1024)
    response = client.post(
        f"/children/{circle.child.id}/consent/sign",
        data={"full_name": "Peter Bakker", "signature": drawing},
    )
    assert response.status_code != 413


def test_the_main_menu_marks_the_section_of_the_page(client, login_as, circle, make_user):
    def current(path: str, who: Any = client) -> list[str]:
        html = who.get(path).get_data(as_text=True)
        nav = html[html.index('<nav class="main-nav"') : html.index("</nav>")]
        return re.findall(r'aria-current="page">([^<]+)</a>', nav)

    login_as(circle.coach)
    # The children list and every page of a child, whichever feature draws it.
    child = f"/children/{circle.child.id}"
    for path in ("/", child, f"{child}/edit", f"{child}/clips", f"{child}/meetings"):
        assert current(f"{path}?lang=en") == ["Children"], path
    assert current("/documents/verify?lang=en") == ["Check a document"]
    assert current("/account?lang=en") == ["My account"]
    assert current("/account/second-factor?lang=en") == ["My account"]
    # The school's pages, those drawn by other features too (the consent texts).
    admin = login_as(make_user("Beheerder Bea", admin=True), on=client.application.test_client())
    assert current("/admin/?lang=en", admin) == ["School"]
    assert current("/admin/consent?lang=en", admin) == ["School"]


def test_the_menu_section_of_an_address():
    assert web.menu_section("/") == "children"
    assert web.menu_section("/children/7/meetings/3") == "children"
    assert web.menu_section("/admin/children/7/erase") == "school"
    assert web.menu_section("/admin") == "school"
    assert web.menu_section("/account/passkeys") == "account"
    assert web.menu_section("/documents/verify") == "documents"
    assert web.menu_section("/sign-in") is None
    assert web.menu_section("/childrenx") is None
