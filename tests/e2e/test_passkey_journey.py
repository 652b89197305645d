"""Passkeys in Debian's chromium with a virtual authenticator (the DevTools protocol's
``WebAuthn.addVirtualAuthenticator``): a teacher adds a passkey on the account page, signs in
with password and passkey, and, once the school allows it, with the passkey alone; the same
passkey offered at another origin of the same server is refused.

The server's address has a host name (``http://localhost:PORT``): a WebAuthn site cannot be an
IP address."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import create_engine, text

from app.demo import DEMO_PASSWORD
from tests.support.browser import DESKTOP_CONTEXT, LiveServer

pytestmark = pytest.mark.e2e

TEACHER = "meester.daan@regenboog.example"
#: Another teacher, for the test at another origin (each test its own account: the server's
#: database lives for the whole session).
OTHER_TEACHER = "juf.fatima@regenboog.example"
ADMIN = "beheer@regenboog.example"
HOME = re.compile(r"^http://[^/]+/$")


@pytest.fixture
def context(browser: Browser, localhost_server: LiveServer) -> Iterator[BrowserContext]:
    ctx = browser.new_context(base_url=localhost_server.url, **DESKTOP_CONTEXT)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def authenticator(context: BrowserContext, page: Page) -> dict[str, Any]:
    """A platform authenticator that keeps passkeys and checks the person, with no prompt."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    made = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return {"cdp": cdp, "id": made["authenticatorId"]}


def sign_in_with_password(page: Page, email: str) -> None:
    page.goto("/sign-in")
    page.locator("#email").fill(email)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("main form").filter(has=page.locator("#password")).locator(
        "button[type=submit]"
    ).click()


def sign_out(page: Page) -> None:
    page.locator("form[action='/sign-out'] button").click()
    page.wait_for_url("**/sign-in")


def methods(server: LiveServer, email: str) -> list[str]:
    engine = create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            return list(
                conn.scalars(
                    text(
                        "SELECT s.method FROM user_sessions s JOIN users u ON u.id = s.user_id "
                        "WHERE u.email = :email ORDER BY s.id"
                    ),
                    {"email": email},
                )
            )
    finally:
        engine.dispose()


def test_passkey_added_then_used_as_second_step_and_alone(
    page: Page, authenticator, localhost_server: LiveServer, check_a11y
):
    sign_in_with_password(page, TEACHER)
    page.wait_for_url(HOME)
    page.goto("/account/second-factor")
    register = page.locator("[data-passkey=register]")
    expect(register).to_be_visible()  # the module found WebAuthn in the browser
    check_a11y(page)
    page.locator("#new-passkey-name").fill("Laptop op school")
    register.locator("button").click()
    expect(page.locator(".passkey-list")).to_contain_text("Laptop op school")
    credentials = authenticator["cdp"].send(
        "WebAuthn.getCredentials", {"authenticatorId": authenticator["id"]}
    )["credentials"]
    assert len(credentials) == 1 and credentials[0]["rpId"] == "localhost"

    # Password, then the passkey.
    sign_out(page)
    sign_in_with_password(page, TEACHER)
    page.wait_for_url("**/sign-in/code")
    check_a11y(page)
    page.locator("[data-passkey=use] button").click()
    page.wait_for_url(HOME)
    expect(page.locator("main")).to_contain_text("Elif")
    assert methods(localhost_server, TEACHER)[-1] == "password_passkey"
    sign_out(page)

    # The school admin lets a passkey alone sign in.
    sign_in_with_password(page, ADMIN)
    page.wait_for_url(HOME)
    page.goto("/admin/")
    page.locator("#passkey_sign_in_allowed").check()
    page.locator("form[action='/admin/security'] button[type=submit]").click()
    page.wait_for_url("**/admin/")
    sign_out(page)

    page.goto("/sign-in")
    page.locator("[data-passkey=use] button").click()
    page.wait_for_url(HOME)
    expect(page.locator("main")).to_contain_text("Elif")
    assert methods(localhost_server, TEACHER)[-1] == "passkey"


def test_a_passkey_is_refused_at_another_origin(
    page: Page, authenticator, localhost_server: LiveServer
):
    sign_in_with_password(page, OTHER_TEACHER)
    page.wait_for_url(HOME)
    page.goto("/account/second-factor")
    page.locator("#new-passkey-name").fill("Telefoon")
    page.locator("[data-passkey=register] button").click()
    expect(page.locator(".passkey-list")).to_contain_text("Telefoon")
    sign_out(page)

    # The same server, reached at another origin: its pages name localhost as the site, which
    # the browser refuses to use from here; nothing signs in.
    other = localhost_server.url.replace("localhost", "127.0.0.1")
    page.goto(f"{other}/sign-in")
    page.locator("#email").fill(OTHER_TEACHER)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("main form").filter(has=page.locator("#password")).locator(
        "button[type=submit]"
    ).click()
    page.wait_for_url("**/sign-in/code")
    page.locator("[data-passkey=use] button").click()
    expect(page.locator("[data-passkey-message]")).not_to_be_empty()
    assert page.url.endswith("/sign-in/code")
    assert "password_passkey" not in methods(localhost_server, OTHER_TEACHER)
