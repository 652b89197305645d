"""The production portal behind the shipped ``deploy/nginx.conf`` over TLS (issue 15 item 1).

gunicorn, started with the command of ``deploy/beeldbrug-web.service``, serves the app as
production builds it (``BEELDBRUG_ENV=production``, CSRF on, ``TRUSTED_PROXIES=1``) on a
migrated SQLite database; nginx starts from the shipped file with a throw-away certificate on
a loopback port other than 443, as an operator's would on 8443. A school's first admin then
chooses a password and signs in through it: real forms, with their CSRF token and the HTTPS
referrer check. Static files come from nginx itself, and an outage fills the access log, not
the error log.
"""

from __future__ import annotations

import hashlib
import http.client
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.support.deploy import BIN, ROOT, exec_start, production_env
from tests.support.infra import free_port
from tests.support.nginx import NGINX, Answer, Visitor, running_nginx

PASSWORD = "een zin om te onthouden"


@pytest.fixture(autouse=True)
def _nginx_installed() -> None:
    if NGINX is None:  # fails, never skips: see tests/clips/test_nginx.py
        pytest.fail("nginx is not installed: run scripts/sysdeps.sh as root", pytrace=False)


@dataclass
class Portal:
    port: int
    env: dict[str, str]
    stdout: Path
    media_root: Path

    def flask(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "flask"), "--app", "app", *args],
            cwd=ROOT,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """gunicorn with the production settings, on a migrated database; yields its port."""
    home = tmp_path_factory.mktemp("production")
    port = free_port()
    env = production_env(home, BIND=f"127.0.0.1:{port}")
    made = Portal(port, env, home / "gunicorn.out", home / "media")
    migrated = made.flask("db", "upgrade")
    assert migrated.returncode == 0, migrated.stderr
    with made.stdout.open("wb") as out:
        server = subprocess.Popen(
            exec_start("beeldbrug-web.service"),  # the shipped service's command
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while "running on" not in made.stdout.read_text():
            assert server.poll() is None, made.stdout.read_text()
            assert time.monotonic() < deadline, made.stdout.read_text()
            time.sleep(0.1)
        yield made
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def nginx(portal: Portal, tmp_path: Path) -> Iterator[int]:
    """The shipped nginx.conf, with TLS, in front of the portal; yields its HTTPS port."""
    with running_nginx(tmp_path, upstream=portal.port, media_root=portal.media_root) as running:
        yield running.port


def first_admin_link(portal: Portal, email: str) -> str:
    """Create a school; return the path of the link its first admin is mailed."""
    # Mail goes through the queue; here it is sent at once (to the console) instead of by
    # a worker.
    created = portal.flask(
        "create-school",
        "--name",
        f"School van {email}",
        "--admin-email",
        email,
        "--admin-name",
        "Eerste Beheerder",
        JOBS_URL="immediate://",
    )
    assert created.returncode == 0, created.stderr
    found = re.search(r"https://beeldbrug\.example\.nl(/reset\?token=[\w-]+)", created.stdout)
    assert found, created.stdout
    return found.group(1)


def csrf_token(page: Answer) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.body.decode())
    assert found, page.body[:500]
    return found.group(1)


def post_form(visitor: Visitor, path: str, fields: dict[str, str]) -> Answer:
    """Post a form as a browser does from the page at ``path``: token, cookie and Referer."""
    page = visitor.get(path)
    assert page.status == 200, page.body[:300]
    body = urlencode({**fields, "csrf_token": csrf_token(page)})
    return visitor.request(
        "POST",
        path,
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"https://127.0.0.1:{visitor.port}{path}",
            "Origin": f"https://127.0.0.1:{visitor.port}",
        },
        body,
    )


def test_the_first_admin_chooses_a_password_and_signs_in_over_https(portal, nginx):
    email = "eerste@school.example"
    link = first_admin_link(portal, email)
    visitor = Visitor(nginx)
    chosen = post_form(visitor, link, {"password": PASSWORD, "confirm": PASSWORD})
    assert chosen.status == 302, chosen.body.decode()[:800]
    assert chosen.one("Location").endswith("/sign-in")
    signed_in = post_form(visitor, "/sign-in", {"email": email, "password": PASSWORD})
    assert signed_in.status == 302, signed_in.body.decode()[:800]
    home = visitor.get("/admin/")
    assert home.status == 200 and f"School van {email}" in home.body.decode()
    assert home.one("Strict-Transport-Security").startswith("max-age=")


def test_with_the_host_header_that_drops_the_port_the_form_is_refused(portal, tmp_path):
    """What the shipped file did before: ``Host $host``. Kept as proof that the test above
    sees the fault."""

    def old_headers(text: str) -> str:
        text = text.replace("proxy_set_header Host $http_host;", "proxy_set_header Host $host;")
        return text.replace("proxy_set_header X-Forwarded-Host $http_host;", "")

    link = first_admin_link(portal, "tweede@school.example")
    with running_nginx(
        tmp_path, upstream=portal.port, media_root=portal.media_root, edit=old_headers
    ) as running:
        refused = post_form(
            Visitor(running.port), link, {"password": PASSWORD, "confirm": PASSWORD}
        )
    assert refused.status == 400
    assert "Dit formulier is verlopen" in refused.body.decode()


def test_nginx_serves_static_files_with_versioned_caching(portal, nginx):
    visitor = Visitor(nginx)
    page = visitor.get("/sign-in").body.decode()
    found = re.search(r'href="(/static/css/app\.css\?v=([0-9a-f]{12}))"', page)
    assert found, page[:1000]
    versioned, version = found.groups()
    stylesheet = (ROOT / "static" / "css" / "app.css").read_bytes()

    kept = visitor.get(versioned)
    assert kept.status == 200 and kept.body == stylesheet
    assert kept.one("Cache-Control") == "public, max-age=31536000, immutable"
    assert kept.one("Content-Type").startswith("text/css")
    assert kept.one("X-Content-Type-Options") == "nosniff"

    plain = visitor.get("/static/css/app.css")
    assert plain.status == 200 and plain.one("Cache-Control") == "no-cache"
    again = visitor.get("/static/css/app.css", If_None_Match=plain.one("ETag"))
    assert again.status == 304

    # The version is the file's: another version of it gets another address.
    assert version == hashlib.sha256(stylesheet).hexdigest()[:12]
    # gunicorn never saw a static request: nginx answered every one.
    assert "/static/" not in portal.stdout.read_text()


def test_a_burst_of_502s_writes_little_to_the_error_log(portal, tmp_path):
    down = free_port()  # nothing listens here: gunicorn is down
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", down)) != 0
    with running_nginx(tmp_path, upstream=down, media_root=portal.media_root) as running:
        before = running.error_log.stat().st_size if running.error_log.exists() else 0
        visitor = Visitor(running.port)
        statuses = [visitor.get(f"/children/{n}").status for n in range(200)]
        time.sleep(0.2)
        written = running.error_log.stat().st_size - before if running.error_log.exists() else 0
        logged = [line for line in running.access_log.read_text().splitlines() if " 502 " in line]
    assert set(statuses) == {502}
    assert written < 1024, running.error_log.read_text()[-2000:]
    # The outage still shows, once a request, in the access log.
    assert len(logged) == 200 and all("upstream=" in line for line in logged)


def test_the_shipped_log_rotation_makes_nginx_write_a_new_log(portal, tmp_path):
    state = tmp_path / "nginx"
    state.mkdir(mode=0o700)
    rules = (ROOT / "deploy" / "logrotate.conf").read_text()
    rules = rules.replace("/var/lib/beeldbrug-nginx", str(state))
    rules = rules.replace("/run/nginx.pid", str(state / "nginx.pid"))
    config = tmp_path / "logrotate.conf"
    config.write_text(rules)
    config.chmod(0o644)
    with running_nginx(state, upstream=portal.port, media_root=portal.media_root) as running:
        visitor = Visitor(running.port)
        assert visitor.get("/sign-in?before=rotation").status == 200
        rotated = subprocess.run(
            [
                shutil.which("logrotate") or "/usr/sbin/logrotate",
                "--force",
                "--state",
                str(tmp_path / "logrotate.state"),
                str(config),
            ],
            capture_output=True,
            text=True,
        )
        assert rotated.returncode == 0, rotated.stderr
        deadline = time.monotonic() + 10
        while True:
            assert visitor.get("/sign-in").status == 200
            if running.access_log.exists() and running.access_log.read_text():
                break
            assert time.monotonic() < deadline, "nginx did not reopen its access log"
            time.sleep(0.1)
    assert '"GET /sign-in" 200' in (state / "access.log.1").read_text()
    assert '"GET /sign-in" 200' in running.access_log.read_text()


def test_plain_http_goes_to_the_https_address_and_serves_acme_challenges(portal, tmp_path):
    with running_nginx(tmp_path, upstream=portal.port, media_root=portal.media_root) as running:
        challenge = tmp_path / "acme" / ".well-known" / "acme-challenge"
        challenge.mkdir(parents=True)
        (challenge / "token-123").write_text("token-123.proof")
        connection = http.client.HTTPConnection("127.0.0.1", running.http_port, timeout=10)
        try:
            connection.request("GET", "/reset?token=abc")
            moved = connection.getresponse()
            moved.read()
            connection.request("GET", "/.well-known/acme-challenge/token-123")
            proof = connection.getresponse()
            body = proof.read()
        finally:
            connection.close()
    assert moved.status == 301
    assert moved.getheader("Location") == f"https://127.0.0.1:{running.port}/reset?token=abc"
    assert proof.status == 200 and body == b"token-123.proof"
