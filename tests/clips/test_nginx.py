"""The shipped ``deploy/nginx.conf`` against a real nginx on loopback (issue 7 item 8).

nginx is started by the test as the current user from the shipped file, with its ports and
paths filled in and a throw-away TLS certificate (pid, logs and temporary files in a temporary
folder; ``tests/support/nginx.py``), in front of a werkzeug
live server of the app with ``MEDIA_ACCEL_PREFIX`` set: Flask checks access and answers with
X-Accel-Redirect, nginx sends the bytes and the ranges. ``scripts/sysdeps.sh`` installs nginx.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from app.circle.audience import Audience
from app.consent.models import Purpose
from tests.support.consent import sign_consent, withdraw
from tests.support.infra import PASSWORD
from tests.support.nginx import NGINX, UNCHECKED_TLS, Answer, running_nginx


@pytest.fixture(autouse=True)
def _nginx_installed() -> None:
    # A missing nginx fails, never skips: a skip would hide that the scale-out path went
    # untested. `make test` installs it (scripts/sysdeps.sh).
    if NGINX is None:
        pytest.fail("nginx is not installed: run scripts/sysdeps.sh as root", pytrace=False)


PREFIX = "/_media/"


class Browser:
    """A visitor of nginx on loopback, with the session cookie once signed in."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie = ""

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: Any = None
    ) -> Answer:
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.port, timeout=20, context=UNCHECKED_TLS
        )
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


@pytest.fixture(scope="module")
def nginx(app, tmp_path_factory) -> Iterator[int]:
    """nginx from deploy/nginx.conf in front of a live server of the app; yields its port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with running_nginx(
            tmp_path_factory.mktemp("nginx"),
            upstream=server.server_port,
            media_root=Path(app.config["MEDIA_ROOT"]),
        ) as running:
            app.extensions["test_nginx_state"] = running.state
            yield running.port
    finally:
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
        ("bytes=300000-", 300000, None),  # open-ended, within the cap
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


def test_an_open_ended_range_through_nginx_gets_a_few_seconds_and_is_followed(
    nginx, watched, web_video, app, monkeypatch
):
    # A cap of one second of the 6-second clip; the module's live server shares this app.
    monkeypatch.setitem(app.config, "STREAM_CHUNK_SECONDS", 1)
    monkeypatch.setitem(app.config, "STREAM_CHUNK_MIN_BYTES", 1)
    size, cap = len(web_video), len(web_video) // 6
    parent = Browser(nginx).sign_in(watched.parent)
    received, start = b"", 0
    while start < size:
        answer = parent.get(video(watched.clip), Range=f"bytes={start}-")
        assert answer.status == 206
        last = min(start + cap, size) - 1
        assert answer.one("Content-Range") == f"bytes {start}-{last}/{size}"
        assert len(answer.body) <= cap
        assert_private(answer)
        received += answer.body
        start = last + 1
    assert received == web_video
    withdraw(app, watched.child, watched.parent, [Purpose.SCHOOL_RECORDING])
    assert parent.get(video(watched.clip), Range="bytes=0-").status == 404


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


def test_the_access_log_names_the_address_asked_for_not_the_stored_file(nginx, watched, app):
    parent = Browser(nginx).sign_in(watched.parent)
    asked = video(watched.clip)
    assert parent.get(asked + "?t=secret-looking", Range="bytes=0-99").status == 206
    log = (app.extensions["test_nginx_state"] / "access.log").read_text()
    line = next(line for line in reversed(log.splitlines()) if " 206 " in line)
    assert f'"GET {asked}" 206' in line  # not the storage name it was redirected to
    assert watched.clip.web_key not in line and PREFIX not in line
    assert "secret-looking" not in log


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
