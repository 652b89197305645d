"""Resumable upload (tus 1.0) through the Flask test client: the protocol, the consent gate,
bad input, and that nothing is kept after a refusal."""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.circle.audience import Audience
from app.clips.forms import FragmentForm
from app.clips.models import Clip, ClipState, Source, Upload
from app.clips.services import upload as uploads
from app.consent import services as consent
from app.consent.models import Purpose
from app.core.audit import AuditEvent
from app.core.db import db, utcnow
from app.core.signin import SignInMethod

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = "application/offset+octet-stream"


@pytest.fixture(autouse=True)
def own_media(app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A media folder of this test's own, so that what a test leaves behind can be listed."""
    root = tmp_path / "media"
    monkeypatch.setitem(app.config, "MEDIA_ROOT", root)
    return root


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The clips handed to the worker (the conversion itself is tested elsewhere)."""
    calls: list[int] = []
    monkeypatch.setattr("app.clips.services.cutting.enqueue", lambda clip: calls.append(clip.id))
    return calls


def metadata(**values: str) -> str:
    return ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in values.items()
    )


def create(client: Any, child_id: int, length: int, **meta: str) -> Any:
    meta = {"filename": "kring.mp4", "title": "Kring", **meta}
    return client.post(
        f"/children/{child_id}/clips/uploads",
        headers={**TUS, "Upload-Length": str(length), "Upload-Metadata": metadata(**meta)},
    )


def patch(client: Any, url: str, data: bytes, offset: int, **headers: str) -> Any:
    return client.patch(
        url,
        data=data,
        headers={**TUS, "Upload-Offset": str(offset), "Content-Type": OCTETS, **headers},
    )


def head(client: Any, url: str) -> Any:
    return client.head(url, headers=TUS)


def send_file(client: Any, child_id: int, data: bytes, *, chunk: int = 4096, **meta: str) -> Any:
    created = create(client, child_id, len(data), **meta)
    assert created.status_code == 201, created.get_data(as_text=True)
    url = created.headers["Location"]
    response = None
    for offset in range(0, len(data), chunk):
        response = patch(client, url, data[offset : offset + chunk], offset)
        if response.status_code != 204:
            break
    return response


def counts() -> tuple[int, int]:
    clips = db.session.scalar(select(func.count()).select_from(Clip))
    rows = db.session.scalar(select(func.count()).select_from(Upload))
    return clips, rows


def media_files(app: Any) -> list[Path]:
    root = Path(app.config["MEDIA_ROOT"])
    return sorted(p for p in root.rglob("*") if p.is_file() and "clips/originals" in str(p))


def partial_files(app: Any) -> list[Path]:
    return sorted((Path(app.config["MEDIA_ROOT"]) / ".partial").glob("*"))


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


# --- the protocol -----------------------------------------------------------------------------


@pytest.mark.usefixtures("consent_one_parent")
def test_options_describes_the_server(client, login_as, circle):
    login_as(circle.teacher)
    response = client.options(f"/children/{circle.child.id}/clips/uploads")
    assert response.status_code == 204
    assert response.headers["Tus-Version"] == "1.0.0"
    assert response.headers["Tus-Extension"] == "creation,termination,expiration"
    assert int(response.headers["Tus-Max-Size"]) == 2048 * 1024 * 1024


@pytest.mark.usefixtures("consent_one_parent")
def test_a_teachers_recording_arrives_in_parts_and_becomes_a_clip_only_at_the_end(
    app, client, login_as, circle, videos, enqueued
):
    login_as(circle.teacher)
    data = videos["landscape"].read_bytes()
    created = create(client, circle.child.id, len(data), recorded_on="2026-11-02")
    assert created.status_code == 201
    url = created.headers["Location"]
    assert url.startswith(f"/children/{circle.child.id}/clips/uploads/")
    assert created.headers["Upload-Expires"].endswith("GMT")

    half = len(data) // 2
    first = patch(client, url, data[:half], 0)
    assert first.status_code == 204 and first.headers["Upload-Offset"] == str(half)
    assert counts() == (0, 1) and enqueued == []
    status = head(client, url)
    assert status.status_code == 200
    assert status.headers["Upload-Offset"] == str(half)
    assert status.headers["Upload-Length"] == str(len(data))
    assert status.headers["Cache-Control"] == "no-store"

    last = patch(client, url, data[half:], half)
    assert last.status_code == 204 and last.headers["Upload-Offset"] == str(len(data))
    clip = db.session.scalars(select(Clip)).one()
    assert clip.state is ClipState.UPLOADED and clip.source is Source.SCHOOL
    assert clip.audience is Audience.TEAM and clip.uploader_id == circle.teacher.id
    assert clip.title == "Kring" and str(clip.recorded_on) == "2026-11-02"
    assert (clip.width, clip.height, clip.duration_s) == (320, 240, 3.0)
    assert Path(app.config["MEDIA_ROOT"], clip.original_key).read_bytes() == data
    assert clip.original_key.startswith("clips/originals/") and clip.original_size == len(data)
    assert enqueued == [clip.id]
    assert db.session.scalar(select(Upload.clip_id)) == clip.id
    assert "clip_uploaded" in audit_actions()
    assert partial_files(app) == []
    # Asking again after the end reports every byte; nothing more is taken.
    assert head(client, url).headers["Upload-Offset"] == str(len(data))
    assert patch(client, url, b"x", len(data)).status_code == 409


@pytest.mark.usefixtures("consent_one_parent")
def test_a_parents_home_recording_stays_private_unless_they_open_it_to_the_team(
    client, login_as, circle, videos, enqueued
):
    login_as(circle.parent)
    data = videos["portrait"].read_bytes()
    assert send_file(client, circle.child.id, data, chunk=len(data)).status_code == 204
    assert send_file(client, circle.child.id, data, audience="team").status_code == 204
    first, second = db.session.scalars(select(Clip).order_by(Clip.id)).all()
    assert first.source is Source.HOME and first.audience is Audience.PRIVATE
    assert second.audience is Audience.TEAM
    # Portrait footage: the rotation flag turns 320x240 into a standing picture.
    assert (first.width, first.height) == (240, 320)


@pytest.mark.usefixtures("consent_one_parent")
def test_a_parent_cannot_give_their_recording_to_the_whole_circle(client, login_as, circle):
    login_as(circle.parent)
    response = create(client, circle.child.id, 100, audience="circle")
    assert response.status_code == 403
    assert counts() == (0, 0)


@pytest.mark.usefixtures("consent_one_parent")
def test_a_clip_showing_others_never_starts_in_the_circle(client, login_as, circle, videos):
    login_as(circle.coach)
    data = videos["silent"].read_bytes()
    send_file(client, circle.child.id, data, audience="circle", shows_others="1", chunk=10**6)
    clip = db.session.scalars(select(Clip)).one()
    assert clip.shows_others and clip.audience is Audience.TEAM


@pytest.mark.usefixtures("consent_one_parent")
@pytest.mark.parametrize("kind", ["hevc", "portrait", "vfr", "silent"])
def test_phone_footage_is_accepted(client, login_as, circle, videos, enqueued, kind):
    login_as(circle.coach)
    data = videos[kind].read_bytes()
    response = send_file(client, circle.child.id, data, chunk=len(data), filename=kind)
    assert response.status_code == 204, response.get_data(as_text=True)
    assert len(enqueued) == 1


@pytest.mark.usefixtures("consent_one_parent")
def test_the_protocol_version_and_content_type_are_checked(client, login_as, circle):
    login_as(circle.coach)
    child = circle.child.id
    no_version = client.post(f"/children/{child}/clips/uploads", headers={"Upload-Length": "9"})
    assert no_version.status_code == 412 and no_version.headers["Tus-Version"] == "1.0.0"
    url = create(client, child, 9).headers["Location"]
    wrong_type = patch(client, url, b"123", 0, **{"Content-Type": "video/mp4"})
    assert wrong_type.status_code == 415
    assert client.patch(url, data=b"1", headers={"Tus-Resumable": "0.2.2"}).status_code == 412
    assert head(client, url).headers["Upload-Offset"] == "0"


@pytest.mark.usefixtures("consent_one_parent")
def test_a_missing_length_is_refused(client, login_as, circle):
    login_as(circle.coach)
    response = client.post(f"/children/{circle.child.id}/clips/uploads", headers=TUS)
    assert response.status_code == 400
    assert counts() == (0, 0)


@pytest.mark.usefixtures("consent_one_parent")
def test_unreadable_details_are_refused(client, login_as, circle):
    login_as(circle.coach)
    response = client.post(
        f"/children/{circle.child.id}/clips/uploads?lang=en",
        headers={**TUS, "Upload-Length": "10", "Upload-Metadata": "title %%%not-base64"},
    )
    assert response.status_code == 400
    assert "could not be read" in response.get_data(as_text=True)
    for bad in ({"recorded_on": "31-02-2026"}, {"audience": "everyone"}, {"title": "x" * 161}):
        assert create(client, circle.child.id, 10, **bad).status_code in {400}
    future = (utcnow() + timedelta(days=5)).date().isoformat()
    assert create(client, circle.child.id, 10, recorded_on=future).status_code == 400
    assert counts() == (0, 0)


def form_accepts_title(app: Any, title: str) -> bool:
    """Whether the clip forms' title field (a fragment's) takes ``title``."""
    with app.test_request_context():
        form = FragmentForm(formdata=MultiDict({"title": title}), meta={"csrf": False})
        return form.title.validate(form)


@pytest.mark.parametrize(
    ("title", "accepted"),
    [
        ("Kring\u2028in de ochtend", False),  # Unicode's line separator
        ("Kring\u2029", False),  # its paragraph separator
        ("Peter\u202eBakker", False),  # a direction override
        ("Kring\nin de ochtend", False),
        ("Kring \u200ein de ochtend", True),  # a mark that only states a direction
        ("Kring met \U0001f469\u200d\U0001f467", True),  # a joiner in an emoji
    ],
)
@pytest.mark.usefixtures("consent_one_parent")
def test_a_title_sent_with_the_upload_meets_the_forms_one_line_rule(
    app, client, login_as, circle, title, accepted
):
    assert form_accepts_title(app, title) is accepted
    login_as(circle.coach)
    response = create(client, circle.child.id, 10, title=title)
    if accepted:
        assert response.status_code == 201
        assert db.session.scalar(select(Upload.title)) == title
    else:
        assert response.status_code == 400
        assert "op één regel" in response.get_data(as_text=True)
        assert counts() == (0, 0)


# --- the consent gate -------------------------------------------------------------------------


def test_without_consent_an_upload_is_refused_naming_the_purpose(
    app, client, login_as, circle, make_user
):
    circle.teacher.preferred_language = "en"
    circle.parent.preferred_language = "en"
    db.session.commit()
    login_as(circle.teacher)
    refused = create(client, circle.child.id, 1000)
    assert refused.status_code == 403
    assert "filming at school" in refused.get_data(as_text=True)
    client.post("/sign-out")
    login_as(circle.parent)
    refused = create(client, circle.child.id, 1000)
    assert refused.status_code == 403
    assert "recordings made at home" in refused.get_data(as_text=True)
    assert counts() == (0, 0) and partial_files(app) == []
    page = client.get(f"/children/{circle.child.id}/clips/upload")
    assert "recordings made at home" in page.get_data(as_text=True)
    assert 'type="file"' not in page.get_data(as_text=True)


@pytest.mark.usefixtures("consent_one_parent")
def test_consent_withdrawn_before_the_last_byte_keeps_nothing(
    app, client, login_as, circle, videos, enqueued
):
    login_as(circle.teacher)
    data = videos["landscape"].read_bytes()
    url = create(client, circle.child.id, len(data)).headers["Location"]
    assert patch(client, url, data[:1000], 0).status_code == 204

    with app.test_request_context():
        consent.withdraw(
            db.session,
            circle.child,
            circle.parent,
            [Purpose.SCHOOL_RECORDING],
            nonce="withdraw-during-upload",
            evidence=consent.Evidence("192.0.2.10", "pytest", SignInMethod.PASSWORD),
        )
        db.session.commit()

    refused = patch(client, url, data[1000:], 1000)
    assert refused.status_code == 403
    assert counts() == (0, 0) and enqueued == []
    assert media_files(app) == [] and partial_files(app) == []
    assert "upload_rejected" in audit_actions()
    assert head(client, url).status_code == 404


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.usefixtures("consent_one_parent")
@pytest.mark.parametrize("kind", ["html", "truncated", "audio_only"])
def test_files_that_are_no_whole_video_are_refused_and_nothing_is_kept(
    app, client, login_as, circle, videos, enqueued, kind
):
    login_as(circle.coach)
    data = videos[kind].read_bytes()
    response = send_file(client, circle.child.id, data, chunk=len(data))
    assert response.status_code == 422
    message = response.get_data(as_text=True)
    assert message and "<" not in message  # one sentence, not a page
    assert counts() == (0, 0) and enqueued == []
    assert media_files(app) == [] and partial_files(app) == []
    assert audit_actions()[-1] == "upload_rejected"


@pytest.mark.usefixtures("consent_one_parent")
def test_an_empty_file_is_refused_at_once(app, client, login_as, circle):
    login_as(circle.coach)
    response = create(client, circle.child.id, 0)
    assert response.status_code == 422
    assert counts() == (0, 0) and partial_files(app) == []


@pytest.mark.usefixtures("consent_one_parent")
def test_an_upload_over_the_limit_is_refused_when_it_is_created(
    app, client, login_as, circle, monkeypatch
):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 5 * 1024 * 1024)
    login_as(circle.coach)
    response = create(client, circle.child.id, 5 * 1024 * 1024 + 1)
    assert response.status_code == 413
    assert "5 MB" in response.get_data(as_text=True)
    assert counts() == (0, 0) and partial_files(app) == []


@pytest.mark.usefixtures("consent_one_parent")
def test_more_bytes_than_declared_are_refused_and_the_file_stays_as_it_was(
    client, login_as, circle
):
    login_as(circle.coach)
    url = create(client, circle.child.id, 10).headers["Location"]
    assert patch(client, url, b"12345", 0).status_code == 204
    assert patch(client, url, b"1234567890", 5).status_code == 413
    assert head(client, url).headers["Upload-Offset"] == "5"
    assert counts() == (0, 1)


@pytest.mark.usefixtures("consent_one_parent")
def test_a_part_for_the_wrong_offset_is_refused(client, login_as, circle):
    login_as(circle.coach)
    url = create(client, circle.child.id, 10).headers["Location"]
    assert patch(client, url, b"12345", 0).status_code == 204
    response = patch(client, url, b"67890", 3)
    assert response.status_code == 409 and response.headers["Upload-Offset"] == "5"
    assert patch(client, url, b"67890", 0).status_code == 409
    assert head(client, url).headers["Upload-Offset"] == "5"


@pytest.mark.usefixtures("consent_one_parent")
def test_a_dropped_connection_keeps_what_arrived_and_never_completes(
    client, login_as, circle, enqueued
):
    login_as(circle.coach)
    url = create(client, circle.child.id, 100).headers["Location"]
    # The body promises 100 bytes, and the connection ends after 60.
    response = client.patch(
        url,
        data=b"x" * 60,
        headers={**TUS, "Upload-Offset": "0", "Content-Type": OCTETS},
        environ_overrides={"CONTENT_LENGTH": "100"},
    )
    assert response.status_code == 400
    assert head(client, url).headers["Upload-Offset"] == "60"
    assert counts() == (0, 1) and enqueued == []


@pytest.mark.usefixtures("consent_one_parent")
def test_a_dropped_upload_that_is_never_resumed_is_swept(app, client, login_as, circle):
    login_as(circle.coach)
    url = create(client, circle.child.id, 100).headers["Location"]
    patch(client, url, b"x" * 40, 0)
    assert len(partial_files(app)) == 2  # the bytes and the declared length
    with app.test_request_context():
        assert uploads.sweep_uploads(db.session) == 0  # still fresh
        with time_machine.travel(utcnow() + timedelta(hours=25)):
            assert uploads.sweep_uploads(db.session) == 1
            db.session.commit()
    assert counts() == (0, 0) and partial_files(app) == []
    assert head(client, url).status_code == 404


@pytest.mark.usefixtures("consent_one_parent")
def test_an_expired_upload_cannot_be_continued(app, client, login_as, circle):
    login_as(circle.coach)
    url = create(client, circle.child.id, 100).headers["Location"]
    patch(client, url, b"x" * 40, 0)
    # A day without a byte (the sign-in would not last that long: age the upload instead).
    row = db.session.scalars(select(Upload)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert head(client, url).status_code == 404
    assert patch(client, url, b"x", 40).status_code == 404


@pytest.mark.usefixtures("consent_one_parent")
def test_an_upload_can_be_stopped(app, client, login_as, circle):
    login_as(circle.coach)
    url = create(client, circle.child.id, 100).headers["Location"]
    patch(client, url, b"x" * 40, 0)
    assert client.delete(url, headers=TUS).status_code == 204
    assert counts() == (0, 0) and partial_files(app) == []
    assert head(client, url).status_code == 404


@pytest.mark.usefixtures("consent_one_parent")
def test_the_original_name_loses_folders_and_control_characters(
    client, login_as, circle, videos, enqueued
):
    login_as(circle.coach)
    data = videos["landscape"].read_bytes()
    name = "../../etc/pass\x00wd\r\n\u202egpj.mp4"
    send_file(client, circle.child.id, data, chunk=len(data), filename=name, title="")
    clip = db.session.scalars(select(Clip)).one()
    assert clip.original_name == "passwdgpj.mp4"
    assert clip.title == "passwdgpj"
    assert ".." not in clip.original_key and clip.original_key.endswith(".mp4")


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("..\\..\\Windows\\video.MOV", "video.MOV"),
        ("/tmp/../x.mp4", "x.mp4"),
        (".hidden.mp4", "hidden.mp4"),
        ("a" * 300 + ".mp4", "a" * 116 + ".mp4"),
        ("\t\x1b[31mrood.mp4", "[31mrood.mp4"),
    ],
)
def test_sanitise_filename(given, kept):
    assert uploads.sanitise_filename(given) == kept


@pytest.mark.usefixtures("consent_one_parent")
def test_another_childs_or_another_persons_upload_is_not_found(
    client, login_as, circle, make_child, app
):
    other = make_child("Ander Kind", coach=circle.coach)
    login_as(circle.coach)
    url = create(client, circle.child.id, 10).headers["Location"]
    upload_id = url.rsplit("/", 1)[1]
    foreign = f"/children/{other.id}/clips/uploads/{upload_id}"
    assert head(client, foreign).status_code == 404
    assert patch(client, foreign, b"12345", 0).status_code == 404
    assert client.delete(foreign, headers=TUS).status_code == 404
    client.post("/sign-out")
    login_as(circle.teacher)  # same child, not their upload
    assert head(client, url).status_code == 404
    assert patch(client, url, b"12345", 0).status_code == 404
    assert client.delete(url, headers=TUS).status_code == 404
    assert counts() == (0, 1)


# --- the page ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("consent_one_parent")
def test_the_page_offers_the_camera_and_never_preticks_a_parents_choice(client, login_as, circle):
    login_as(circle.parent)
    page = client.get(f"/children/{circle.child.id}/clips/upload")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'accept="video/*"' in html
    assert 'value="private"' in html and 'value="team"' in html and 'value="circle"' not in html
    assert "checked" not in html
    assert "<noscript>" in html and "js/vendor/tus.min.js" in html


@pytest.mark.usefixtures("consent_one_parent")
def test_the_page_offers_staff_the_team_by_default(client, login_as, circle):
    login_as(circle.teacher)
    html = client.get(f"/children/{circle.child.id}/clips/upload").get_data(as_text=True)
    assert 'id="audience-team" name="audience" value="team"\n               checked' in html
    assert 'value="circle"' not in html


@pytest.mark.usefixtures("consent_one_parent")
def test_the_daily_job_sweeps_abandoned_uploads(app, client, login_as, circle):
    login_as(circle.coach)
    url = create(client, circle.child.id, 100).headers["Location"]
    patch(client, url, b"x" * 40, 0)
    row = db.session.scalars(select(Upload)).one()
    row.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with app.app_context():
        uploads.daily_sweep_uploads()
    assert counts() == (0, 0)
    assert [p.suffix for p in partial_files(app)] == []


@pytest.mark.usefixtures("consent_one_parent")
def test_a_part_larger_than_any_form_is_taken(client, login_as, circle):
    # Pages take at most MAX_CONTENT_LENGTH (4 MiB); an upload's parts are 8 MiB.
    login_as(circle.coach)
    size = 8 * 1024 * 1024
    url = create(client, circle.child.id, size + 10).headers["Location"]
    response = patch(client, url, b"\0" * size, 0)
    assert response.status_code == 204, response.get_data(as_text=True)[:300]
    assert response.headers["Upload-Offset"] == str(size)


@pytest.mark.usefixtures("consent_one_parent")
def test_a_clip_gets_its_destroy_date_when_it_arrives(client, login_as, circle, videos, enqueued):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from app.circle.models import Child

    # A trajectory that ended yesterday: the footage may stay the consent's retention term.
    ended = datetime.now(ZoneInfo("Europe/Amsterdam")).date() - timedelta(days=1)
    db.session.get(Child, circle.child.id).ended_on = ended
    db.session.commit()
    login_as(circle.coach)
    data = videos["landscape"].read_bytes()
    assert send_file(client, circle.child.id, data, chunk=len(data)).status_code == 204
    clip = db.session.get(Clip, enqueued[0])
    assert clip.destroy_after is not None and clip.destroy_after > ended
