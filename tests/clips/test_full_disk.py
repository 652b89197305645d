"""A full disk (issue 15 item 5; SECURITY.md check 40), injected as ENOSPC at the write: during
an upload (tus POST and PATCH), a conversion and the issuing of a signed PDF. Each time the
person reads what happened, that one job fails, and nothing half-written stays: every clip
row has its file with its SHA-256, no partial or temporary file is left, the audit chain
verifies."""

from __future__ import annotations

import base64
import contextlib
import errno
import hashlib
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select

from app.clips.models import Clip, ClipState, Upload
from app.clips.services import conversion, transcode
from app.consent.models import ConsentRecord
from app.core import audit, resumable, storage
from app.core.audit import AuditEvent
from app.core.db import db, utcnow
from app.documents.models import Document
from tests.support.consent import sign_consent

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = "application/offset+octet-stream"
FULL_NL = "heeft geen ruimte meer"
NOT_YOUR_FILE_NL = "geen probleem met je bestand"


def disk_full() -> OSError:
    return OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture(autouse=True)
def own_media(app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "media"
    monkeypatch.setitem(app.config, "MEDIA_ROOT", root)
    return root


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and ".lock" not in p.name)


def assert_invariant(app: Any, root: Path) -> None:
    """Every clip row has its files with their SHA-256; nothing partial or temporary stays;
    the audit chain verifies."""
    for clip in db.session.scalars(select(Clip)):
        for key, digest in (
            (clip.original_key, clip.original_sha256),
            (clip.web_key, clip.web_sha256),
        ):
            if key:
                assert hashlib.sha256(storage.path_of(key).read_bytes()).hexdigest() == digest
    assert not [p for p in files_under(root) if p.name.startswith(".tmp-")]
    assert not list((root / ".partial").glob("*.part")) if (root / ".partial").exists() else True
    with app.app_context():
        assert audit.verify(db.session).ok


def create(client: Any, child_id: int, length: int) -> Any:
    meta = ",".join(
        f"{k} {base64.b64encode(v.encode()).decode()}"
        for k, v in {"filename": "kring.mp4", "title": "Kring"}.items()
    )
    return client.post(
        f"/children/{child_id}/clips/uploads",
        headers={**TUS, "Upload-Length": str(length), "Upload-Metadata": meta},
    )


def patch(client: Any, url: str, data: bytes, offset: int) -> Any:
    headers = {**TUS, "Upload-Offset": str(offset), "Content-Type": OCTETS}
    return client.patch(url, data=data, headers=headers)


@pytest.mark.usefixtures("consent_one_parent")
def test_a_full_disk_during_an_upload_answers_507_and_removes_the_partial_at_once(
    app, client, login_as, circle, videos, own_media, monkeypatch
):
    login_as(circle.teacher)
    data = videos["landscape"].read_bytes()
    url = create(client, circle.child.id, len(data)).headers["Location"]
    half = len(data) // 2
    assert patch(client, url, data[:half], 0).status_code == 204
    assert list((own_media / ".partial").glob("*.part"))

    real_copy = resumable.copy_counted

    def copy_until_full(stream, out, *, most, digest=None):  # noqa: ANN001
        out.write(stream.read(1000))  # a little goes in, then the disk is full
        raise disk_full()

    monkeypatch.setattr(resumable, "copy_counted", copy_until_full)
    answer = patch(client, url, data[half:], half)

    assert answer.status_code == 507
    said = answer.get_data(as_text=True)
    assert FULL_NL in said and NOT_YOUR_FILE_NL in said
    assert list((own_media / ".partial").glob("*")) == []  # removed at once, not in two days
    assert db.session.scalar(select(func.count()).select_from(Upload)) == 0
    assert db.session.scalar(select(func.count()).select_from(Clip)) == 0
    rejected = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "upload_rejected")
    ).one()
    assert json.loads(rejected.data)["reason"] == "disk_full"
    assert client.head(url, headers=TUS).status_code == 404  # nothing to resume
    monkeypatch.setattr(resumable, "copy_counted", real_copy)
    assert_invariant(app, own_media)


@pytest.mark.usefixtures("consent_one_parent")
def test_a_full_disk_when_an_upload_starts_answers_507_and_keeps_nothing(
    app, client, login_as, circle, own_media, monkeypatch
):
    login_as(circle.teacher)

    def no_room(length: int, *, limit: int | None = None) -> Any:
        raise disk_full()

    monkeypatch.setattr(resumable, "create_partial", no_room)
    answer = create(client, circle.child.id, 5000)
    assert answer.status_code == 507
    assert FULL_NL in answer.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Upload)) == 0


@pytest.mark.usefixtures("consent_one_parent")
def test_the_upload_page_shows_the_servers_sentence_and_offers_to_stop(client, login_as, circle):
    login_as(circle.teacher)
    page = client.get(f"/children/{circle.child.id}/clips/upload").get_data(as_text=True)
    assert 'id="upload-cancel"' in page and 'id="upload-error"' in page
    script = Path(__file__).resolve().parents[2] / "static" / "js" / "upload.js"
    code = script.read_text()
    # Progress from what the server confirmed, and no retrying a full disk.
    assert "onChunkComplete" in code and "onProgress" not in code
    assert "status === 507" in code


def test_a_full_disk_during_a_conversion_fails_that_clip_and_leaves_nothing_half_written(
    app_ctx, app, upload, videos, own_media, monkeypatch, consent_one_parent, login_as
):
    clip = upload(videos["landscape"])
    other = upload(videos["silent"])
    real_copy = storage.copy_counted

    def full_for_the_web_version(stream, out, *, most, digest=None):  # noqa: ANN001
        if str(getattr(stream, "name", "")).endswith(".mp4"):  # the web version, not the poster
            out.write(stream.read(4096))
            raise disk_full()
        return real_copy(stream, out, most=most, digest=digest)

    monkeypatch.setattr(storage, "copy_counted", full_for_the_web_version)
    conversion.convert(clip.id)
    monkeypatch.setattr(storage, "copy_counted", real_copy)

    db.session.refresh(clip)
    assert (clip.state, clip.failure) == (ClipState.FAILED, transcode.DISK_FULL)
    assert clip.web_key is None and clip.poster_key is None  # the shown poster went too
    assert not list((own_media / "clips" / "web").glob("*"))
    assert not list((own_media / "clips" / "posters").glob("*"))
    assert not [p for p in (own_media / ".work").rglob("*") if p.is_file()]
    assert storage.path_of(clip.original_key).exists()  # kept for a retry
    # The coach reads why, in Dutch.
    html = (
        login_as(consent_one_parent.coach)
        .get(f"/children/{clip.child_id}/clips/{clip.id}")
        .get_data(as_text=True)
    )
    assert "opslagruimte" in html
    # Only that job failed: the next one, with room again, is converted.
    assert conversion.convert(other.id) is ClipState.READY
    assert_invariant(app, own_media)


@contextlib.contextmanager
def _half_then_full(final: Path, *, mode: int = 0o600):
    with REAL_ATOMIC_WRITE(final, mode=mode) as out:

        class Filling:
            def write(self, data: bytes) -> int:
                out.write(data[: len(data) // 2])
                raise disk_full()

        yield Filling()


REAL_ATOMIC_WRITE = storage.atomic_write


def test_a_full_disk_while_issuing_a_pdf_refuses_the_withdrawal_with_a_clear_reason(
    app, client, login_as, circle, own_media, monkeypatch
):
    sign_consent(app, circle.child, circle.parent)
    before = (
        db.session.scalar(select(func.count()).select_from(ConsentRecord)),
        db.session.scalar(select(func.count()).select_from(Document)),
    )
    pdfs = sorted((own_media / "documents").glob("*")) if (own_media / "documents").exists() else []
    login_as(circle.parent)
    url = f"/children/{circle.child.id}/consent/withdraw?purpose=all"
    page = client.get(url).get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)

    monkeypatch.setattr(storage, "atomic_write", _half_then_full)
    answer = client.post(url, data={"token": token})
    monkeypatch.setattr(storage, "atomic_write", REAL_ATOMIC_WRITE)

    assert answer.status_code == 200
    assert "geen ruimte meer om het ondertekende document" in answer.get_data(as_text=True)
    after = (
        db.session.scalar(select(func.count()).select_from(ConsentRecord)),
        db.session.scalar(select(func.count()).select_from(Document)),
    )
    assert after == before  # no withdrawal without its document, no document without a row
    now = sorted((own_media / "documents").glob("*")) if (own_media / "documents").exists() else []
    assert now == pdfs  # nothing half-written
    assert_invariant(app, own_media)


@pytest.mark.usefixtures("consent_one_parent")
def test_flask_sweep_uploads_frees_the_room_of_stopped_uploads_now(
    app, client, login_as, circle, runner, own_media
):
    login_as(circle.teacher)
    url = create(client, circle.child.id, 100_000).headers["Location"]
    assert patch(client, url, b"x" * 40_000, 0).status_code == 204
    kept = runner.invoke(args=["sweep-uploads"])  # only what expired: nothing yet
    assert kept.exit_code == 0 and "Removed 0" in kept.output
    assert db.session.scalar(select(func.count()).select_from(Upload)) == 1
    busy = runner.invoke(args=["sweep-uploads", "--idle-minutes", "10"])  # bytes just came
    assert "Removed 0" in busy.output
    with time_machine.travel(utcnow() + timedelta(minutes=15), tick=False):
        swept = runner.invoke(args=["sweep-uploads", "--idle-minutes", "10"])
    assert swept.exit_code == 0 and "Removed 1" in swept.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Upload)) == 0
    assert list((own_media / ".partial").glob("*")) == []
    assert client.head(url, headers=TUS).status_code == 404
