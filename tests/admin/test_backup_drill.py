"""The restore drill (issue 15 item 4; SECURITY.md check 34): a portal with consent, clips and
signed documents is backed up with ``flask backup``, restored elsewhere with ``flask restore``,
and then ``flask audit-verify`` passes, every issued PDF verifies (Beeldbrug's own check and
poppler's ``pdfsig``), every clip row has its files with the same SHA-256, and a parent signs
in and plays her recording. On SQLite, and on PostgreSQL in the suite's PostgreSQL pass
(``TEST_DATABASE_URL``): both instances are databases of the pass's kind.

The portal is the demo school (``flask demo-data``): a signed consent with its sealed PDF,
three converted recordings, a fragment, moments and the audit trail of all of it, made by the
real commands in an instance of its own.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import BIN, ROOT
from tests.support.infra import fresh_database_url

#: Run in the restored instance: every clip's files against their SHA-256, every document
#: through Beeldbrug's verification, and a parent who signs in and plays her recording.
CHECK = r"""
import hashlib, json, re
from sqlalchemy import select
from app import create_app
from app.clips.models import Clip
from app.core import storage
from app.core.db import db
from app.documents import services as documents
from app.documents.models import Document
app = create_app()
out = {"clips": [], "documents": []}
with app.test_request_context():
    for clip in db.session.scalars(select(Clip).order_by(Clip.id)):
        for key, digest in ((clip.original_key, clip.original_sha256),
                            (clip.web_key, clip.web_sha256)):
            if key:
                data = storage.path_of(key).read_bytes()
                out["clips"].append([clip.id, key, hashlib.sha256(data).hexdigest() == digest])
        if clip.poster_key:
            there = storage.path_of(clip.poster_key).is_file()
            out["clips"].append([clip.id, clip.poster_key, there])
    for document in db.session.scalars(select(Document)):
        path = storage.path_of(document.storage_key)
        result = documents.verify_upload(db.session, path.read_bytes())
        out["documents"].append([str(path), result.ok, result.code])
    home = db.session.scalar(select(Clip).where(Clip.title == "Samen koken thuis"))
    web = storage.path_of(home.web_key).read_bytes()
client = app.test_client()
page = client.get("/sign-in").get_data(as_text=True)
token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
signed = client.post("/sign-in", data={"csrf_token": token, "email": "ouder.bakker@example.nl",
                                       "password": "samen-kijken-2026"})
url = f"/children/{home.child_id}/clips/{home.id}/video"
video = client.get(url, headers={"Range": "bytes=0-"})
out["sign_in"] = signed.status_code
out["play"] = [video.status_code, video.data == web[: len(video.data)], len(video.data)]
print(json.dumps(out))
"""


def env_for(database_url: str, instance: Path) -> dict[str, str]:
    suite_only = ("TEST_DATABASE_URL", "TEST_RATELIMIT_STORAGE_URI", "MEDIA_ROOT", "SIGNING_DIR")
    env = {k: v for k, v in __import__("os").environ.items() if k not in suite_only}
    env.update(
        BEELDBRUG_ENV="development",
        BEELDBRUG_INSTANCE=str(instance),
        DATABASE_URL=database_url,
        JOBS_URL="immediate://",
        MAIL_BACKEND="console",
        SECRET_KEY="drill-secret-key-for-the-backup-test-only",
        RATELIMIT_STORAGE_URI="memory://",
        PYTHONPATH=str(ROOT),
    )
    return env


def flask(env: dict[str, str], *args: str, stdin: Any = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "flask"), "--app", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        stdin=stdin,
    )


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo school in an instance of its own, and its backup."""
    folder = tmp_path_factory.mktemp("drill")
    env = env_for(fresh_database_url(tmp_path_factory, "drill_source"), folder / "source")
    ok(flask(env, "db", "upgrade"))
    ok(flask(env, "demo-data"))
    said = ok(flask(env, "backup", str(folder)))
    archives = list(folder.glob("beeldbrug-backup-*.tar"))
    assert len(archives) == 1, said
    assert oct(archives[0].stat().st_mode & 0o777) == "0o600"
    return {"env": env, "archive": archives[0], "folder": folder, "said": said}


def test_a_backup_restored_elsewhere_is_the_whole_portal(portal, tmp_path_factory):
    target = env_for(
        fresh_database_url(tmp_path_factory, "drill_target"), portal["folder"] / "target"
    )
    restored = ok(flask(target, "restore", str(portal["archive"])))
    assert "The audit chain verifies" in restored

    assert "audit chain intact" in ok(flask(target, "audit-verify"))
    check = subprocess.run(
        [sys.executable, "-c", CHECK],
        cwd=ROOT,
        env=target,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stderr
    found = json.loads(check.stdout.strip().splitlines()[-1])

    assert len(found["clips"]) >= 4 and all(same for _, _, same in found["clips"]), found["clips"]
    assert found["documents"] and all(good for _, good, _ in found["documents"]), found["documents"]
    pdfsig = shutil.which("pdfsig")
    assert pdfsig, "poppler-utils is needed (make test installs it)"
    for path, _, _ in found["documents"]:
        report = subprocess.run([pdfsig, path], capture_output=True, text=True, check=False).stdout
        assert "Signature is Valid" in report, report
    assert found["sign_in"] == 302
    status, same_bytes, length = found["play"]
    assert status == 206 and same_bytes and length > 0

    # A second restore into the now filled instance is refused, and changes nothing.
    again = flask(target, "restore", str(portal["archive"]))
    assert again.returncode == 1
    assert "not empty" in again.stderr and "nothing was changed" in again.stderr
    assert "audit chain intact" in ok(flask(target, "audit-verify"))


def test_a_truncated_archive_is_refused_and_the_instance_stays_empty(portal, tmp_path_factory):
    folder = portal["folder"]
    cut = folder / "cut.tar"
    data = portal["archive"].read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    target = env_for(fresh_database_url(tmp_path_factory, "drill_cut"), folder / "cut")
    ok(flask(target, "db", "upgrade"))  # an operator may well have migrated first
    refused = flask(target, "restore", str(cut))
    assert refused.returncode == 1
    assert "incomplete" in refused.stderr
    assert not (folder / "cut" / "media").exists() or not any(
        (folder / "cut" / "media").rglob("*.*")
    )
    restored = ok(flask(target, "restore", str(portal["archive"])))  # still empty: it works
    assert "The audit chain verifies" in restored


def test_the_archive_goes_through_a_pipe_for_encryption(portal, tmp_path_factory):
    # `flask backup - | gpg …` and `gpg -d … | flask restore -`: the archive as a stream.
    piped = subprocess.run(
        [str(BIN / "flask"), "--app", "app", "backup", "-"],
        cwd=ROOT,
        env=portal["env"],
        capture_output=True,
        timeout=600,
        check=False,
    )
    assert piped.returncode == 0, piped.stderr
    folder = portal["folder"]
    target = env_for(fresh_database_url(tmp_path_factory, "drill_pipe"), folder / "pipe")
    restored = subprocess.run(
        [str(BIN / "flask"), "--app", "app", "restore", "-"],
        cwd=ROOT,
        env=target,
        input=piped.stdout,
        capture_output=True,
        timeout=600,
        check=False,
    )
    assert restored.returncode == 0, restored.stderr
    assert b"The audit chain verifies" in restored.stdout
    # What a wrong key leaves in the pipe: nothing, and a clear refusal.
    wrong = subprocess.run(
        [str(BIN / "flask"), "--app", "app", "restore", "-"],
        cwd=ROOT,
        env=env_for(fresh_database_url(tmp_path_factory, "drill_wrong"), folder / "wrong"),
        input=b"",
        capture_output=True,
        timeout=600,
        check=False,
    )
    assert wrong.returncode == 1 and b"not a Beeldbrug backup" in wrong.stderr
