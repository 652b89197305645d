"""The tus server against a real third-party tus client (tuspy) over a real socket.

The app is served by werkzeug on a free loopback port in a thread of this process, on the
test's own database transaction; a ``requests`` session signs in through the real form (CSRF
on) and hands its cookie and token to tuspy, as the page hands them to tus-js-client.
"""

from __future__ import annotations

import re
import socket
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import func, select
from tusclient import client as tus_client
from tusclient.exceptions import TusCommunicationError
from werkzeug.serving import make_server

from app.clips.models import Clip, ClipState, Upload
from app.core.db import db
from tests.support.consent import sign_consent
from tests.support.infra import PASSWORD, free_port

CHUNK = 64 * 1024


@pytest.fixture
def live_url(app: Any, db_connection: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The app served on loopback, with CSRF checked as in production."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    monkeypatch.setitem(app.config, "MEDIA_ROOT", tmp_path / "media")
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    monkeypatch.setattr("app.clips.services.cutting.enqueue", lambda clip: calls.append(clip.id))
    return calls


def signed_in(base: str, user: Any) -> tuple[requests.Session, str]:
    """A browser-like session signed in as ``user``, and the CSRF token of its pages."""
    session = requests.Session()
    form = session.get(f"{base}/sign-in").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    response = session.post(
        f"{base}/sign-in",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:300]
    return session, token


def tus_for(base: str, session: requests.Session, child_id: int) -> tuple[Any, str]:
    """A tuspy client carrying the session's cookie and the page's CSRF token."""
    page = session.get(f"{base}/children/{child_id}/clips/upload")
    assert page.status_code == 200
    token = re.search(r'data-csrf="([^"]+)"', page.text).group(1)
    endpoint = re.search(r'data-endpoint="([^"]+)"', page.text).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    headers = {"Cookie": cookie, "X-CSRFToken": token}
    return tus_client.TusClient(f"{base}{endpoint}", headers=headers), token


def clips_and_uploads() -> tuple[int, int]:
    """Counted in a savepoint of this thread's own that ends at once: the server's requests
    share the connection, and must not nest inside a savepoint this thread rolls back later."""
    counted = (
        db.session.scalar(select(func.count()).select_from(Clip)),
        db.session.scalar(select(func.count()).select_from(Upload)),
    )
    db.session.remove()
    return counted


def drop_mid_chunk(url: str, cookie: str, token: str, data: bytes, offset: int, sent: int) -> None:
    """PATCH a chunk that announces ``len(data) - offset`` bytes, send ``sent`` of them, and
    close the connection, as a phone losing its signal does."""
    parts = urlsplit(url)
    body = data[offset : offset + sent]
    head = (
        f"PATCH {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nTus-Resumable: 1.0.0\r\n"
        f"Upload-Offset: {offset}\r\nContent-Type: application/offset+octet-stream\r\n"
        f"Content-Length: {len(data) - offset}\r\nCookie: {cookie}\r\n"
        f"X-CSRFToken: {token}\r\n\r\n"
    ).encode()
    with socket.create_connection((parts.hostname, parts.port)) as conn:
        conn.sendall(head + body)
        conn.shutdown(socket.SHUT_WR)
        conn.recv(4096)  # wait for the server to finish with it


@pytest.fixture
def circle_with_consent(app: Any, circle: Any) -> Any:
    sign_consent(app, circle.child, circle.parent)
    db.session.remove()
    return circle


def test_an_interrupted_upload_resumes_from_the_servers_offset(
    live_url, circle_with_consent, videos, enqueued
):
    circle = circle_with_consent
    session, _ = signed_in(live_url, circle.teacher)
    tus, token = tus_for(live_url, session, circle.child.id)
    data = videos["long"].read_bytes()
    path = videos["long"]
    assert len(data) > 4 * CHUNK

    first = tus.uploader(file_path=str(path), chunk_size=CHUNK, metadata={"title": "Kring"})
    first.upload(stop_at=2 * CHUNK)  # the uploader stops (the page was closed)
    assert first.offset == 2 * CHUNK
    assert clips_and_uploads() == (0, 1)

    # The next chunk is cut off by a lost connection after 10,000 bytes: those are kept.
    drop_mid_chunk(first.url, tus.headers["Cookie"], token, data, 2 * CHUNK, 10_000)
    assert clips_and_uploads() == (0, 1)

    # A new client (the page reopened) asks the server where it stands and goes on.
    second = tus.uploader(file_path=str(path), url=first.url, chunk_size=CHUNK)
    assert second.offset == 2 * CHUNK + 10_000
    second.upload()
    assert second.offset == len(data)

    clip = db.session.scalars(select(Clip)).one()
    assert clip.state is ClipState.UPLOADED and clip.title == "Kring"
    assert clip.original_size == len(data)
    assert enqueued == [clip.id]


def test_without_the_csrf_token_nothing_is_created(live_url, circle_with_consent, videos):
    circle = circle_with_consent
    session, _ = signed_in(live_url, circle.teacher)
    tus, _ = tus_for(live_url, session, circle.child.id)
    tus.headers.pop("X-CSRFToken")
    uploader = tus.uploader(file_path=str(videos["landscape"]), chunk_size=CHUNK)
    with pytest.raises(TusCommunicationError) as refused:
        uploader.upload()
    assert refused.value.status_code == 400
    assert clips_and_uploads() == (0, 0)


def test_a_file_that_is_no_video_is_refused_at_the_end_and_nothing_is_kept(
    live_url, circle_with_consent, videos, enqueued, tmp_path
):
    circle = circle_with_consent
    session, _ = signed_in(live_url, circle.coach)
    tus, _ = tus_for(live_url, session, circle.child.id)
    uploader = tus.uploader(file_path=str(videos["html"]), chunk_size=CHUNK)
    with pytest.raises(Exception) as refused:
        uploader.upload()
    assert getattr(refused.value, "status_code", None) == 422
    assert clips_and_uploads() == (0, 0) and enqueued == []
    media = tmp_path / "media"
    kept = [p for p in media.rglob("*") if p.is_file() and "documents" not in p.parts]
    assert kept == []  # no original, no partial file (the consent PDF is in documents/)
