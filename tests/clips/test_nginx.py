"""The shipped ``deploy/nginx.conf`` against a real nginx on loopback (issue 7 item 8).

nginx is started by the test as the current user from the shipped file, with its ports and
paths filled in (pid, logs and temporary files in a temporary folder), in front of a werkzeug
live server of the app with ``MEDIA_ACCEL_PREFIX`` set: Flask checks access and answers with
X-Accel-Redirect, nginx sends the bytes and the ranges. ``scripts/sysdeps.sh`` installs nginx.
"""

from __future__ import annotations

import getpass
import http.client
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from app.circle.audience import Audience
from app.consent.models import Purpose
from tests.support.consent import sign_consent, withdraw
from tests.support.infra import PASSWORD, free_port

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).is_file()), None
)


@pytest.fixture(autouse=True)
def _nginx_installed() -> None:
    # A missing nginx fails, never skips: a skip would hide that the scale-out path went
    # untested. `make test` installs it (scripts/sysdeps.sh).
    if NGINX is None:
        pytest.fail("nginx is not installed: run scripts/sysdeps.sh as root", pytrace=False)


PREFIX = "/_media/"


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def one(self, name: str) -> str:
        values = self.all(name)
        assert len(values) == 1, f"{name}: {values}"
        return values[0]


class Browser:
    """A visitor of nginx on loopback, with the session cookie once signed in."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie = ""

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: Any = None
    ) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            sent = {**({"Cookie": self.cookie} if self.cookie else {}), **(headers or {})}
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            return Answer(response.status, response.getheaders(), response.read())
        finally:
            connection.close()

    def get(self, path: str, **headers: str) -> Answer:
        return self.request("GET", path, {k.replace("_", "-"): v for k, v in headers.items()})

    def sign_in(self, user) -> Browser:
        form = f"email={user.email}&password={PASSWORD.replace(' ', '+')}"
        answer = self.request(
            "POST",
            "/sign-in",
            {"Content-Type": "application/x-www-form-urlencoded"},
            form.encode(),
        )
        assert answer.status == 302, answer.body[:300]
        self.cookie = "; ".join(c.split(";", 1)[0] for c in answer.all("Set-Cookie"))
        return self


def config_for(*, listen: int, upstream: int, media_root: Path, state: Path) -> str:
    """deploy/nginx.conf with its placeholders filled in, as a deployment does."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    values = {
        "NGINX_USER": getpass.getuser(),
        "LISTEN": f"127.0.0.1:{listen}",
        "UPSTREAM": f"127.0.0.1:{upstream}",
        "MEDIA_ROOT": str(media_root.resolve()),
        "STATE_DIR": str(state),
    }
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    directives = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    assert not any("${" in line for line in directives), "a placeholder left unfilled"
    return text


def wait_for(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx stopped: {log.read_text() if log.exists() else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nginx did not start listening")


@pytest.fixture(scope="module")
def nginx(app, tmp_path_factory) -> Iterator[int]:
    """nginx from deploy/nginx.conf in front of a live server of the app; yields its port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state = tmp_path_factory.mktemp("nginx")
    port = free_port()
    conf = state / "nginx.conf"
    conf.write_text(
        config_for(
            listen=port,
            upstream=server.server_port,
            media_root=Path(app.config["MEDIA_ROOT"]),
            state=state,
        )
    )
    checked = subprocess.run(
        [NGINX, "-t", "-q", "-c", str(conf), "-p", str(state), "-e", str(state / "error.log")],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(
        [
            NGINX,
            "-c",
            str(conf),
            "-p",
            str(state),
            "-e",
            str(state / "error.log"),
            "-g",
            "daemon off;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(port, process, state / "error.log")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def accel(monkeypatch, app) -> None:
    monkeypatch.setitem(app.config, "MEDIA_ACCEL_PREFIX", PREFIX)


@pytest.fixture
def watched(app, circle, make_clip, accel):
    sign_consent(app, circle.child, circle.parent)
    circle.clip = make_clip(circle.child, circle.teacher, audience=Audience.CIRCLE)
    circle.team_clip = make_clip(circle.child, circle.teacher, audience=Audience.TEAM)
    return circle


def video(clip) -> str:
    return f"/children/{clip.child_id}/clips/{clip.id}/video"


def assert_private(answer: Answer) -> None:
    assert answer.one("X-Content-Type-Options") == "nosniff"
    assert answer.one("Cross-Origin-Resource-Policy") == "same-origin"
    assert answer.one("Cache-Control") == "private, no-store"
    assert answer.all("Content-Disposition") == []
    assert answer.all("X-Accel-Redirect") == []


@pytest.mark.parametrize(
    ("asked", "first", "last"),
    [
        ("bytes=0-99", 0, 99),  # first bytes
        ("bytes=4000-5999", 4000, 5999),  # middle
        ("bytes=-500", -500, None),  # suffix
        ("bytes=10000-", 10000, None),  # open-ended
    ],
)
def test_ranges_through_nginx(nginx, watched, web_video, asked, first, last):
    size = len(web_video)
    first = size + first if first < 0 else first
    last = size - 1 if last is None else last
    parent = Browser(nginx).sign_in(watched.parent)
    answer = parent.get(video(watched.clip), Range=asked)
    assert answer.status == 206
    assert answer.one("Content-Range") == f"bytes {first}-{last}/{size}"
    assert answer.body == web_video[first : last + 1]
    assert answer.one("Content-Type") == "video/mp4"
    assert_private(answer)


def test_whole_file_and_unsatisfiable_range_through_nginx(nginx, watched, web_video, poster_jpeg):
    parent = Browser(nginx).sign_in(watched.parent)
    whole = parent.get(video(watched.clip))
    assert whole.status == 200 and whole.body == web_video
    assert_private(whole)
    beyond = parent.get(video(watched.clip), Range=f"bytes={len(web_video) + 1}-")
    assert beyond.status == 416
    assert beyond.one("Content-Range") == f"bytes */{len(web_video)}"
    assert_private(beyond)
    poster = parent.get(f"/children/{watched.child.id}/clips/{watched.clip.id}/poster")
    assert poster.status == 200 and poster.body == poster_jpeg
    assert poster.one("Content-Type") == "image/jpeg"


def test_without_access_nginx_sends_404_and_no_bytes(nginx, watched, make_user, web_video):
    parent = Browser(nginx).sign_in(watched.parent)
    refused = parent.get(video(watched.team_clip), Range="bytes=0-99")
    assert refused.status == 404 and web_video[:99] not in refused.body
    outsider = Browser(nginx).sign_in(make_user("Buiten de kring", staff=True))
    assert outsider.get(video(watched.clip), Range="bytes=0-99").status == 404
    anonymous = Browser(nginx).get(video(watched.clip), Range="bytes=0-99")
    assert anonymous.status == 302 and anonymous.body[:4] != web_video[:4]


def test_the_media_location_cannot_be_requested_directly(nginx, watched, web_video):
    coach = Browser(nginx).sign_in(watched.coach)
    for path in (PREFIX + watched.clip.web_key, PREFIX + "clips/web/", PREFIX):
        answer = coach.get(path)
        assert answer.status == 404, path
        assert web_video[:64] not in answer.body


def test_a_withdrawal_stops_playback_through_nginx_at_the_next_range(nginx, watched, app):
    parent = Browser(nginx).sign_in(watched.parent)
    assert parent.get(video(watched.clip), Range="bytes=0-999").status == 206
    withdraw(app, watched.child, watched.parent, [Purpose.SCHOOL_RECORDING])
    assert parent.get(video(watched.clip), Range="bytes=1000-1999").status == 404


def test_upload_chunks_pass_where_other_bodies_are_refused(nginx, watched):
    chunk = b"\0" * (8 * 1024 * 1024)  # a tus chunk of 8 MiB, over the limit of forms
    form = Browser(nginx).request("POST", "/sign-in", {"Content-Type": "text/plain"}, chunk)
    assert form.status == 413
    upload = Browser(nginx).request(
        "PATCH",
        f"/children/{watched.child.id}/clips/uploads/abc",
        {"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"},
        chunk,
    )
    assert upload.status != 413  # reached the app (which sends the anonymous visitor away)


def test_errors_nginx_makes_itself_carry_the_security_headers(nginx):
    chunk = b"\0" * (8 * 1024 * 1024)
    refused = Browser(nginx).request("POST", "/sign-in", {"Content-Type": "text/plain"}, chunk)
    assert refused.status == 413
    assert refused.one("X-Content-Type-Options") == "nosniff"
    assert refused.one("X-Frame-Options") == "DENY"
    assert refused.one("Referrer-Policy") == "same-origin"
    assert "frame-ancestors 'none'" in refused.one("Content-Security-Policy")


def test_the_apps_own_pages_keep_one_copy_of_each_security_header(nginx):
    page = Browser(nginx).get("/sign-in")
    assert page.status == 200
    assert page.one("X-Content-Type-Options") == "nosniff"
    assert page.one("X-Frame-Options") == "DENY"
    assert "script-src 'self'" in page.one("Content-Security-Policy")
