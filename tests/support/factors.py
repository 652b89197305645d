"""Second factors in tests: codes computed by Debian's ``oathtool`` (an implementation of RFC
6238 independent of the app's), and an authenticator app added through the real pages."""

from __future__ import annotations

import html
import re
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime

from flask.testing import FlaskClient


def totp(secret: str, at: datetime | None = None) -> str:
    """The six-digit code for ``secret`` at ``at`` (default: now), from oathtool."""
    when = (at or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    result = subprocess.run(
        ["oathtool", "--totp", "-b", secret.replace(" ", ""), "--now", when],
        check=True,
        capture_output=True,
        text=True,
        timeout=10,
    )
    return result.stdout.strip()


@dataclass(frozen=True)
class Enrolled:
    secret: str
    recovery_codes: list[str]


def secret_on(page: str) -> str:
    found = re.search(r'<code class="secret" id="totp-secret">([^<]+)</code>', page)
    assert found, "the enrolment page shows the key as text"
    return html.unescape(found.group(1)).replace(" ", "")


def codes_on(page: str) -> list[str]:
    return re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", page)


def enrol_authenticator(client: FlaskClient, at: datetime | None = None) -> Enrolled:
    """Add an authenticator app on the account's pages, confirmed with a first code."""
    assert client.post("/account/authenticator/start").status_code == 302
    page = client.get("/account/authenticator").get_data(as_text=True)
    secret = secret_on(page)
    done = client.post("/account/authenticator", data={"code": totp(secret, at)})
    assert done.status_code == 200, done.get_data(as_text=True)[:800]
    codes = codes_on(done.get_data(as_text=True))
    assert len(codes) == 10
    return Enrolled(secret, codes)


def sign_in_with_code(
    client: FlaskClient, email: str, password: str, code: str, *, lang: str | None = None
):
    """Both steps of a sign-in; returns the answer to the second."""
    first = client.post("/sign-in", data={"email": email, "password": password})
    assert first.status_code == 302 and first.headers["Location"].endswith("/sign-in/code")
    return client.post("/sign-in/code" + (f"?lang={lang}" if lang else ""), data={"code": code})
