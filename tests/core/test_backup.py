"""Backups (issue 15 item 4; SECURITY.md check 34) at the level of the archive, on a small
instance of plain files and a SQLite database: what goes in, in which order, and every bad
archive refused before anything of the instance changes. The drill with a whole portal is in
tests/admin/test_backup_drill.py."""

from __future__ import annotations

import io
import os
import sqlite3
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from app.core import backup


def make_instance(root: Path, *, rows: int = 3) -> backup.Place:
    root.mkdir(parents=True)
    database = root / "beeldbrug.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT)")
        connection.executemany(
            "INSERT INTO things (name) VALUES (?)", [(f"t{i}",) for i in range(rows)]
        )
    media = root / "media"
    (media / "clips" / "web").mkdir(parents=True)
    (media / "clips" / "web" / "abc.mp4").write_bytes(os.urandom(300_000))
    (media / "documents").mkdir()
    (media / "documents" / "doc.pdf").write_bytes(b"%PDF-1.7 sealed")
    (media / ".partial").mkdir()
    (media / ".partial" / "half.part").write_bytes(b"not yet")  # never in a backup
    (media / "clips" / "web" / ".tmp-x.mp4").write_bytes(b"half")  # nor this
    (root / "signing").mkdir()
    (root / "signing" / "school-1.key").write_bytes(b"-----BEGIN PRIVATE KEY-----")
    return backup.Place(f"sqlite:///{database}", media, root / "signing")


def empty_instance(root: Path) -> tuple[backup.Place, object]:
    root.mkdir(parents=True)
    sqlite3.connect(root / "beeldbrug.db").close()  # as the app leaves a new instance
    url = f"sqlite:///{root / 'beeldbrug.db'}"
    place = backup.Place(url, root / "media", root / "signing")
    return place, create_engine(url)


def archive_of(place: backup.Place) -> bytes:
    out = io.BytesIO()
    backup.write_backup(place, out)
    return out.getvalue()


def state_of(root: Path) -> list[tuple[str, bytes]]:
    return sorted(
        (str(p.relative_to(root)), p.read_bytes()) for p in root.rglob("*") if p.is_file()
    )


def test_database_first_then_media_then_keys_and_the_manifest_last(tmp_path):
    data = archive_of(make_instance(tmp_path / "a"))
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        names = archive.getnames()
    assert names == [
        "database.sqlite",
        "media/clips/web/abc.mp4",
        "media/documents/doc.pdf",
        "signing/school-1.key",
        "MANIFEST.json",
    ]


def test_a_backup_restores_into_an_empty_instance(tmp_path):
    source = make_instance(tmp_path / "a")
    data = archive_of(source)
    place, engine = empty_instance(tmp_path / "b")
    summary = backup.restore_backup(place, io.BytesIO(data), engine)
    assert summary.database == "sqlite" and summary.files == 4
    with sqlite3.connect(tmp_path / "b" / "beeldbrug.db") as connection:
        assert connection.execute("SELECT count(*) FROM things").fetchone() == (3,)
    for name in ("clips/web/abc.mp4", "documents/doc.pdf"):
        assert (place.media_root / name).read_bytes() == (source.media_root / name).read_bytes()
    assert (place.signing_dir / "school-1.key").read_bytes().startswith(b"-----BEGIN")
    assert oct((place.media_root / "clips").stat().st_mode & 0o777) == "0o700"
    assert oct((place.media_root / "documents" / "doc.pdf").stat().st_mode & 0o777) == "0o600"
    assert not list(tmp_path.glob("b/.restore-*"))


def refused(place, engine, data: bytes, words: str, root: Path) -> None:
    before = state_of(root)
    with pytest.raises(backup.BackupError, match=words):
        backup.restore_backup(place, io.BytesIO(data), engine)
    assert state_of(root) == before  # nothing changed


def test_a_non_empty_instance_is_refused(tmp_path):
    data = archive_of(make_instance(tmp_path / "a"))
    other = make_instance(tmp_path / "b", rows=1)
    engine = create_engine(other.database_url)
    refused(other, engine, data, "not empty: its media folder", tmp_path / "b")
    for folder in (other.media_root, other.signing_dir):
        for path in folder.rglob("*"):
            if path.is_file():
                path.unlink()
    refused(other, engine, data, r"not empty: its database has rows \(in things\)", tmp_path / "b")


@pytest.mark.parametrize("cut", [100, 250_000, "in the manifest", "before the manifest"])
def test_a_truncated_archive_is_refused(tmp_path, cut):
    data = archive_of(make_instance(tmp_path / "a"))
    if cut == "in the manifest":
        cut = data.index(b'"format"') + 10
    elif cut == "before the manifest":
        cut = data.index(b"MANIFEST.json")  # at a member's boundary: a clean end of a tar
        cut -= cut % 512
    place, engine = empty_instance(tmp_path / "b")
    refused(place, engine, data[:cut], "incomplete|not a Beeldbrug backup", tmp_path / "b")


def test_a_damaged_member_is_refused(tmp_path):
    data = bytearray(archive_of(make_instance(tmp_path / "a")))
    at = data.index(b"%PDF-1.7 sealed")
    data[at + 5] ^= 0xFF
    place, engine = empty_instance(tmp_path / "b")
    refused(place, engine, bytes(data), "damaged: media/documents/doc.pdf", tmp_path / "b")


def foreign_tar() -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        info = tarfile.TarInfo("notes.txt")
        info.size = 5
        archive.addfile(info, io.BytesIO(b"hello"))
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        b"",  # what a decryption with the wrong key leaves in a pipe
        os.urandom(4096),  # or garbage
        b"just some text, not an archive\n" * 20,
        None,  # someone else's tar
    ],
)
def test_a_foreign_archive_or_a_wrong_key_is_refused(tmp_path, data):
    place, engine = empty_instance(tmp_path / "b")
    refused(
        place,
        engine,
        foreign_tar() if data is None else data,
        "not a Beeldbrug backup",
        tmp_path / "b",
    )


def test_the_other_kind_of_database_is_refused(tmp_path):
    original = archive_of(make_instance(tmp_path / "a"))
    out = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(original)) as source,
        tarfile.open(fileobj=out, mode="w") as copy,
    ):
        for member in source.getmembers():
            body = source.extractfile(member).read()
            if member.name == "MANIFEST.json":
                body = body.replace(b'"database": "sqlite"', b'"database": "postgresql"')
                member.size = len(body)
            copy.addfile(member, io.BytesIO(body))
    data = out.getvalue()
    place, engine = empty_instance(tmp_path / "b")
    refused(
        place,
        engine,
        data,
        "holds a postgresql database, but this instance uses sqlite",
        tmp_path / "b",
    )


def test_flask_backup_into_a_missing_folder_says_so(runner, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "nowhere" / "backup.tar")])
    assert result.exit_code == 1
    assert "Backup failed" in result.output and "nothing was written" in result.output
