"""Storage of large files: streamed, counted, atomic, private; resumable parts; range requests.

These tests run against a small Flask app of their own (a media folder per test and one route
that sends a stored file after "checking access"), so they need no database.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
import time
import tracemalloc
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from gunicorn.http.wsgi import FileWrapper

from app.core import resumable, storage
from app.core.files import TEMP_PREFIX

MIB = 1024 * 1024


@pytest.fixture
def media(tmp_path: Path) -> Path:
    return tmp_path / "media"


@pytest.fixture
def mini(media: Path, tmp_path: Path) -> Iterator[Flask]:
    app = Flask("storage-test", static_folder=str(tmp_path / "static"))
    app.config.update(
        MEDIA_ROOT=media,
        UPLOAD_MAX_BYTES=64 * MIB,
        UPLOAD_PARTIAL_MAX_AGE_HOURS=24,
        MEDIA_ACCEL_PREFIX=None,
    )

    @app.route("/media/<path:key>")
    def send(key: str):  # the access check of a real view would come first
        return storage.send_stored(key, mimetype="video/mp4")

    @app.route("/download/<path:key>")
    def download(key: str):
        return storage.send_stored(
            key, mimetype="application/pdf", download_name="Verslag gesprek.pdf", as_attachment=True
        )

    with app.app_context():
        yield app


def files_in(folder: Path) -> list[str]:
    """Every file below ``folder``, hidden ones included, as relative paths."""
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def chunks(total: int, size: int = MIB, fill: bytes = b"v") -> Iterator[bytes]:
    block = fill * size
    sent = 0
    while sent < total:
        piece = block if total - sent >= size else block[: total - sent]
        sent += len(piece)
        yield piece


# --- storing a stream ------------------------------------------------------------------------


def test_a_stream_is_stored_whole_with_its_hash_size_and_private_modes(mini, media):
    body = os.urandom(3 * MIB + 12345)
    stored = storage.store_stream(io.BytesIO(body), folder="clips", suffix=".mp4", length=len(body))
    path = storage.path_of(stored.key)
    assert path.read_bytes() == body
    assert stored.size == len(body)
    assert stored.sha256 == hashlib.sha256(body).hexdigest()
    assert path.stat().st_mode & 0o777 == 0o600
    assert (media / "clips").stat().st_mode & 0o777 == 0o700
    assert media.stat().st_mode & 0o777 == 0o700
    assert files_in(media) == [stored.key]  # no temporary file left beside it


def test_an_iterable_of_chunks_is_stored_too(mini):
    stored = storage.store_stream(chunks(5 * MIB // 2), folder="clips", suffix=".mp4", length=None)
    assert stored.size == 5 * MIB // 2
    assert stored.sha256 == hashlib.sha256(b"v" * (5 * MIB // 2)).hexdigest()


def test_a_short_stream_is_refused_and_leaves_nothing(mini, media):
    # A dropped connection: werkzeug ends the stream early as if it were complete.
    with pytest.raises(storage.LengthMismatchError, match="ended early") as refused:
        storage.store_stream(chunks(5 * MIB), folder="clips", suffix=".mp4", length=8 * MIB)
    assert (refused.value.declared, refused.value.received) == (8 * MIB, 5 * MIB)
    assert files_in(media) == []


def test_a_longer_stream_is_refused_without_reading_it_all_and_leaves_nothing(mini, media):
    handed_out = []

    def endless() -> Iterator[bytes]:
        while True:
            handed_out.append(1)
            yield b"x" * MIB

    with pytest.raises(storage.LengthMismatchError, match="longer than declared"):
        storage.store_stream(endless(), folder="clips", suffix=".mp4", length=3 * MIB + 1)
    assert len(handed_out) == 4  # stopped at the first chunk past the declared length
    assert files_in(media) == []


def test_the_size_limit_applies_to_declared_and_undeclared_lengths(mini, media):
    def never_read() -> Iterator[bytes]:
        raise AssertionError("a body declared too large must not be read")
        yield b""  # pragma: no cover

    with pytest.raises(storage.TooLargeError):
        storage.store_stream(never_read(), folder="clips", suffix=".mp4", length=64 * MIB + 1)
    with pytest.raises(storage.TooLargeError):
        storage.store_stream(chunks(3 * MIB), folder="clips", suffix=".mp4", length=None, limit=MIB)
    assert files_in(media) == []
    # The configured limit itself is allowed.
    stored = storage.store_stream(chunks(MIB), folder="clips", suffix=".mp4", length=MIB, limit=MIB)
    assert stored.size == MIB


def test_nothing_is_visible_under_the_final_name_until_the_file_is_complete(mini, media):
    seen_while_writing = []

    def watched() -> Iterator[bytes]:
        for i, piece in enumerate(chunks(4 * MIB)):
            if i == 2:
                seen_while_writing.extend(files_in(media))
            yield piece

    stored = storage.store_stream(watched(), folder="clips", suffix=".mp4", length=4 * MIB)
    assert len(seen_while_writing) == 1
    assert Path(seen_while_writing[0]).name.startswith(TEMP_PREFIX)
    assert stored.key not in seen_while_writing
    assert files_in(media) == [stored.key]


def test_memory_stays_flat_for_a_large_stream(mini):
    total = 200 * MIB
    tracemalloc.start()
    try:
        stored = storage.store_stream(
            chunks(total), folder="clips", suffix=".mp4", length=total, limit=total
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stored.size == total
    assert peak < 20 * MIB, f"peak {peak / MIB:.1f} MiB"


def test_store_bytes_writes_through_the_same_atomic_helper(mini, media):
    stored = storage.store_bytes(b"een", folder="documents", suffix=".pdf")
    assert files_in(media) == [stored.key]
    assert storage.path_of(stored.key).stat().st_mode & 0o777 == 0o600


# --- resumable uploads -----------------------------------------------------------------------


def test_a_resumable_upload_grows_at_its_offset_and_is_finalised_atomically(mini, media):
    body = os.urandom(10_000)
    upload = resumable.create_partial(len(body))
    assert (upload.offset, upload.length, upload.complete) == (0, 10_000, False)
    part = media / resumable.PARTIAL_FOLDER / f"{upload.upload_id}.part"
    assert part.stat().st_mode & 0o777 == 0o600
    assert part.parent.stat().st_mode & 0o777 == 0o700

    assert (
        resumable.append_partial(upload.upload_id, io.BytesIO(body[:4000]), offset=0).offset == 4000
    )
    # The same chunk again (a client retrying after a lost answer) is refused: wrong offset.
    with pytest.raises(resumable.OffsetMismatchError) as wrong:
        resumable.append_partial(upload.upload_id, io.BytesIO(body[:4000]), offset=0)
    assert wrong.value.expected == 4000
    # A connection that dropped keeps what arrived; the client resumes from the offset.
    cut = resumable.append_partial(upload.upload_id, io.BytesIO(body[4000:6500]), offset=4000)
    assert cut.offset == 6500 == resumable.partial_status(upload.upload_id).offset
    with pytest.raises(resumable.IncompleteUploadError):
        resumable.finalise_partial(upload.upload_id, folder="clips", suffix=".mp4")
    assert not (media / "clips").exists() or files_in(media / "clips") == []

    done = resumable.append_partial(upload.upload_id, io.BytesIO(body[6500:]), offset=6500)
    assert done.complete
    stored = resumable.finalise_partial(upload.upload_id, folder="clips", suffix=".mp4")
    assert storage.path_of(stored.key).read_bytes() == body
    assert stored.sha256 == hashlib.sha256(body).hexdigest() and stored.size == len(body)
    assert storage.path_of(stored.key).stat().st_mode & 0o777 == 0o600
    assert files_in(media / resumable.PARTIAL_FOLDER) == []
    with pytest.raises(resumable.UnknownUploadError):
        resumable.partial_status(upload.upload_id)


def test_a_chunk_past_the_declared_length_is_refused_and_changes_nothing(mini):
    upload = resumable.create_partial(10)
    resumable.append_partial(upload.upload_id, [b"12345"], offset=0)
    with pytest.raises(storage.LengthMismatchError):
        resumable.append_partial(upload.upload_id, [b"678901"], offset=5)
    assert resumable.partial_status(upload.upload_id).offset == 5


def test_an_append_that_waited_while_the_upload_was_finalised_is_refused(mini, monkeypatch):
    upload = resumable.create_partial(3)
    resumable.append_partial(upload.upload_id, [b"abc"], offset=0)
    real_flock = fcntl.flock
    finalised = []

    def finalise_meanwhile(fd: int, operation: int) -> None:
        # Another request finalises while this one waits for the lock.
        monkeypatch.setattr(fcntl, "flock", real_flock)
        finalised.append(
            resumable.finalise_partial(upload.upload_id, folder="clips", suffix=".mp4")
        )
        real_flock(fd, operation)

    monkeypatch.setattr(fcntl, "flock", finalise_meanwhile)
    with pytest.raises(resumable.UnknownUploadError):
        resumable.append_partial(upload.upload_id, [b"more"], offset=3)
    assert storage.path_of(finalised[0].key).read_bytes() == b"abc"


def test_a_resumable_upload_over_the_limit_is_refused_at_creation(mini, media):
    with pytest.raises(storage.TooLargeError):
        resumable.create_partial(64 * MIB + 1)
    assert files_in(media) == []


def test_unknown_or_forged_upload_ids_are_refused(mini):
    for forged in ("nope", "../../documents/x", "a" * 31 + "/"):
        with pytest.raises(resumable.UnknownUploadError):
            resumable.append_partial(forged, [b"x"], offset=0)
        assert resumable.delete_partial(forged) is False


def test_deleting_an_upload_removes_its_files(mini, media):
    upload = resumable.create_partial(10)
    resumable.append_partial(upload.upload_id, [b"123"], offset=0)
    assert resumable.delete_partial(upload.upload_id) is True
    assert files_in(media / resumable.PARTIAL_FOLDER) == []
    assert resumable.delete_partial(upload.upload_id) is False


def test_the_sweep_removes_idle_partials_and_crash_leftovers_only(mini, media):
    idle, active = resumable.create_partial(10), resumable.create_partial(10)
    resumable.append_partial(active.upload_id, [b"123"], offset=0)
    leftover = media / "documents" / f"{TEMP_PREFIX}crashed.pdf"
    fresh_tmp = media / "documents" / f"{TEMP_PREFIX}being-written.pdf"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half")
    fresh_tmp.write_bytes(b"half")
    stored = storage.store_bytes(b"kept", folder="documents", suffix=".pdf")
    long_ago = time.time() - timedelta(hours=25).total_seconds()
    for path in (
        media / resumable.PARTIAL_FOLDER / f"{idle.upload_id}.part",
        media / resumable.PARTIAL_FOLDER / f"{idle.upload_id}.len",
        leftover,
        storage.path_of(stored.key),  # an old stored file is no leftover
    ):
        os.utime(path, (long_ago, long_ago))
    now = time.time()  # fresh by the app's clock, even when the suite runs with it moved
    for path in (
        media / resumable.PARTIAL_FOLDER / f"{active.upload_id}.part",
        media / resumable.PARTIAL_FOLDER / f"{active.upload_id}.len",
        fresh_tmp,
    ):
        os.utime(path, (now, now))

    assert resumable.sweep() == 2  # the idle upload and the crash leftover
    with pytest.raises(resumable.UnknownUploadError):
        resumable.partial_status(idle.upload_id)
    assert resumable.partial_status(active.upload_id).offset == 3
    assert not leftover.exists() and fresh_tmp.exists()
    assert storage.path_of(stored.key).read_bytes() == b"kept"
    assert resumable.sweep() == 0  # a second sweep finds nothing


# --- sending, with ranges --------------------------------------------------------------------

BODY = bytes(range(256)) * 4  # 1024 bytes, every position distinct enough to check slices


@pytest.fixture
def clip(mini) -> str:
    return storage.store_bytes(BODY, folder="clips", suffix=".mp4").key


def assert_private(response) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("asked", "first", "last"),
    [
        ("bytes=0-99", 0, 99),  # the first bytes (start of playback)
        ("bytes=500-611", 500, 611),  # the middle (a seek)
        ("bytes=-100", 924, 1023),  # a suffix: the last 100 bytes
        ("bytes=1000-", 1000, 1023),  # open-ended
    ],
)
def test_range_requests_get_exactly_the_bytes_asked_for(mini, clip, asked, first, last):
    response = mini.test_client().get(f"/media/{clip}", headers={"Range": asked})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes {first}-{last}/1024"
    assert response.data == BODY[first : last + 1]
    assert response.headers["Content-Length"] == str(last - first + 1)
    assert response.mimetype == "video/mp4"
    assert_private(response)


def test_whole_file_and_unsatisfiable_range(mini, clip):
    client = mini.test_client()
    whole = client.get(f"/media/{clip}")
    assert whole.status_code == 200 and whole.data == BODY
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert_private(whole)
    beyond = client.get(f"/media/{clip}", headers={"Range": "bytes=2000-2100"})
    assert beyond.status_code == 416
    assert beyond.headers["Content-Range"] == "bytes */1024"
    assert_private(beyond)


class CountingServerWrapper(FileWrapper):
    """gunicorn's ``wsgi.file_wrapper`` (it cannot seek), counting the bytes it reads."""

    read_total = 0

    def __next__(self) -> bytes:
        data = super().__next__()
        CountingServerWrapper.read_total += len(data)
        return data


def test_a_seek_under_gunicorn_reads_only_the_range_asked_for(mini):
    # With the server's wrapper, werkzeug read and dropped every byte before a range's start:
    # a seek near the end of a clip read the whole file before the first byte went out.
    size = 16 * MIB
    key = storage.store_stream(
        chunks(size), folder="clips", suffix=".mp4", length=size, limit=size
    ).key
    client = mini.test_client()
    server = {"wsgi.file_wrapper": CountingServerWrapper}
    CountingServerWrapper.read_total = 0
    seek = client.get(
        f"/media/{key}",
        headers={"Range": f"bytes={size - 1000}-{size - 1}"},
        environ_overrides=server,
    )
    assert seek.status_code == 206
    assert seek.headers["Content-Range"] == f"bytes {size - 1000}-{size - 1}/{size}"
    assert seek.data == b"v" * 1000
    assert CountingServerWrapper.read_total < MIB
    # A whole file still goes out through the server's wrapper (gunicorn's sendfile).
    whole = client.get(f"/media/{key}", environ_overrides=server)
    assert whole.status_code == 200 and len(whole.data) == size
    assert CountingServerWrapper.read_total == size


def test_a_download_is_an_attachment_with_a_safe_name(mini):
    key = storage.store_bytes(b"%PDF-1.7", folder="documents", suffix=".pdf").key
    response = mini.test_client().get(f"/download/{key}")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "Verslag gesprek.pdf" in response.headers["Content-Disposition"]
    assert_private(response)


def test_behind_nginx_flask_sends_no_body_and_the_same_headers(mini, clip):
    mini.config["MEDIA_ACCEL_PREFIX"] = "/_media/"
    client = mini.test_client()
    response = client.get(f"/media/{clip}", headers={"Range": "bytes=0-99"})
    assert response.status_code == 200  # nginx answers the range itself
    assert response.headers["X-Accel-Redirect"] == f"/_media/{clip}"
    assert response.data == b""
    assert response.mimetype == "video/mp4"
    assert_private(response)
    key = storage.store_bytes(b"%PDF-1.7", folder="documents", suffix=".pdf").key
    download = client.get(f"/download/{key}")
    assert download.data == b"" and download.headers["X-Accel-Redirect"] == f"/_media/{key}"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert_private(download)


def test_a_forged_or_missing_key_is_never_sent(mini):
    with mini.test_request_context():
        with pytest.raises(storage.InvalidKeyError):
            storage.send_stored("../config.py", mimetype="text/plain")
        with pytest.raises(FileNotFoundError):
            storage.send_stored("clips/" + "a" * 32 + ".mp4", mimetype="video/mp4")
