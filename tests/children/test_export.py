"""A child's export: the zip holds what the requester may see and nothing more (a coach's and a
parent's, unzipped and compared), it is built by the job with its progress on a page, it is
downloaded once within a day (then 410), the hourly job removes what expired, and outsiders
and other roles get nothing."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
import time_machine
from alembic import command
from sqlalchemy import func, inspect, select

from app.children.export import delivery, service
from app.children.export.models import ChildExport, ExportState
from app.circle.audience import Audience
from app.circle.models import Child, User
from app.circle.policy import seat_for
from app.cli import alembic_config
from app.clips.models import Moment, Source, Tag
from app.core import storage
from app.core.audit import AuditEvent
from app.core.db import db, make_engine, utcnow
from tests.support.consent import sign_consent
from tests.support.export import export_for, unzip
from tests.support.infra import fresh_database_url
from tests.support.meetings import plan
from tests.support.summaries import SECRET_NOTE, add_agenda, during, finalise_form

TEAM_CLIP = "ALLEEN-TEAM opname"
PRIVATE_CLIP = "ALLEEN-COACH opname"
TEAM_MOMENT = "MOMENT-ALLEEN-TEAM"
CIRCLE_MOMENT = "Sem kijkt op en lacht"
TEAM_MEETING_PLACE = "Teamkamer ALLEEN-TEAM"


def moment(clip, author, text, audience, start=1.0):
    found = Moment(
        child_id=clip.child_id,
        clip_id=clip.id,
        author_id=author.id,
        start_s=start,
        tag=Tag.SUCCESS,
        text=text,
        audience=audience,
    )
    db.session.add(found)
    db.session.commit()
    return found


@pytest.fixture
def world(app, client, login_as, circle, make_clip):
    """Both parents signed consent; clips for the circle, the team and the coach alone, with
    a moment for the circle and one for the team; a finalised shared review (with staff-only
    preparation notes and a sealed summary) with the first parent invited, and a meeting of
    the school side alone."""
    sign_consent(app, circle.child, circle.parent)
    sign_consent(app, circle.child, circle.parent2)
    meeting = plan(app, circle.child, circle.coach, [circle.coach, circle.teacher, circle.parent])
    items = add_agenda(meeting, circle, make_clip)
    moment(items[0].clip, circle.coach, CIRCLE_MOMENT, Audience.CIRCLE)
    moment(items[0].clip, circle.teacher, TEAM_MOMENT, Audience.TEAM, start=2.0)
    make_clip(circle.child, circle.coach, audience=Audience.TEAM, title=TEAM_CLIP)
    make_clip(circle.child, circle.coach, audience=Audience.PRIVATE, title=PRIVATE_CLIP)
    plan(app, circle.child, circle.coach, [circle.coach, circle.teacher], place=TEAM_MEETING_PLACE)
    with time_machine.travel(during(meeting), tick=True):
        login_as(circle.coach)
        attendees = [circle.coach, circle.teacher, circle.parent]
        response = client.post(
            f"/children/{circle.child.id}/meetings/{meeting.id}/finalise",
            data=finalise_form(meeting, attendees),
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    client.post("/sign-out")
    return circle


JSON_TYPES = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "object": dict,
    "array": list,
    "null": type(None),
}


def violations(value, schema, where="$") -> list[str]:
    """Where ``value`` breaks ``schema`` (the part of JSON Schema that schema.json uses:
    type, enum, const, properties, required, additionalProperties, items)."""
    found = []
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        ok = any(
            isinstance(value, JSON_TYPES[n]) and not (n in ("integer", "number") and value is True)
            for n in names
        )
        if not ok:
            return [f"{where}: {value!r} is not {types}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: {value!r} not in {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        found.append(f"{where}: {value!r} is not {schema['const']!r}")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        found += [
            f"{where}: {key} missing" for key in schema.get("required", []) if key not in value
        ]
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in properties:
                found += violations(item, properties[key], f"{where}.{key}")
            elif isinstance(extra, dict):
                found += violations(item, extra, f"{where}.{key}")
            elif properties:
                found.append(f"{where}: {key} is not described")
    if isinstance(value, list) and "items" in schema:
        for number, item in enumerate(value):
            found += violations(item, schema["items"], f"{where}[{number}]")
    return found


def test_a_parents_export_holds_what_the_parent_sees_and_a_coachs_what_the_coach_sees(app, world):
    circle = world
    coach = unzip(app, export_for(app, circle.coach, circle.child))
    parent = unzip(app, export_for(app, circle.parent, circle.child))
    coach_names, parent_names = set(coach.namelist()), set(parent.namelist())
    for names in (coach_names, parent_names):
        assert {"README.txt", "schema.json", "records.json"} <= names

    # Consent: the coach gets both parents' signed PDFs, the parent only their own.
    coach_pdfs = {n for n in coach_names if n.startswith("consent/")}
    parent_pdfs = {n for n in parent_names if n.startswith("consent/")}
    assert len(coach_pdfs) == 2 and len(parent_pdfs) == 1 and parent_pdfs < coach_pdfs
    assert parent.read(parent_pdfs.pop()).startswith(b"%PDF")
    # Both get the sealed meeting summary, byte for byte as issued.
    summaries = {n for n in parent_names if n.startswith("meetings/")}
    assert summaries and summaries == {n for n in coach_names if n.startswith("meetings/")}
    assert coach.read(min(summaries)) == parent.read(min(summaries))
    # Clips: the parent gets the circle's clips; the coach the team's and their own too.
    assert len([n for n in coach_names if n.endswith(".mp4")]) == 5
    assert len([n for n in parent_names if n.endswith(".mp4")]) == 3
    assert all(
        coach.getinfo(n).compress_type == zipfile.ZIP_STORED
        for n in coach_names
        if n.endswith((".mp4", ".pdf"))
    )

    coach_records = coach.read("records.json").decode()
    parent_records = parent.read("records.json").decode()
    for staff_only in (SECRET_NOTE, TEAM_CLIP, PRIVATE_CLIP, TEAM_MOMENT, TEAM_MEETING_PLACE):
        assert staff_only in coach_records
        assert staff_only not in parent_records
    assert circle.parent2.name in coach_records  # the other parent's signed record
    parent_data = json.loads(parent_records)
    assert {r["signer"] for r in parent_data["consent"]} == {circle.parent.name}
    assert parent_data["requested_by"] == {"name": circle.parent.name, "role": "parent"}
    assert len(parent_data["meetings"]) == 1 and "prep_note" not in str(parent_data["meetings"])
    assert CIRCLE_MOMENT in parent_records

    # The moments as WebVTT: the parent's file lacks the team's moment.
    coach_vtt = next(coach.read(n).decode() for n in coach_names if n.endswith(".vtt"))
    parent_vtt = next(parent.read(n).decode() for n in parent_names if n.endswith(".vtt"))
    assert parent_vtt.startswith("WEBVTT") and CIRCLE_MOMENT in parent_vtt
    assert TEAM_MOMENT in coach_vtt and TEAM_MOMENT not in parent_vtt


def test_the_schema_describes_every_section_and_the_readme_speaks_the_requesters_language(
    app, world
):
    circle = world
    db.session.get(User, circle.coach.id).preferred_language = "en"
    db.session.commit()
    coach = unzip(app, export_for(app, circle.coach, circle.child))
    parent = unzip(app, export_for(app, circle.parent, circle.child))
    schema = json.loads(parent.read("schema.json"))
    records = json.loads(parent.read("records.json"))
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert set(schema["required"]) == set(records)
    for key in ("child", "consent", "clips", "meetings", "agreements"):
        assert schema["properties"][key]["description"]
    for archive in (coach, parent):
        records = json.loads(archive.read("records.json"))
        assert records["clips"] and records["meetings"][0]["agenda"] and records["consent"]
        assert violations(records, json.loads(archive.read("schema.json"))) == []
    assert violations({**records, "clips": [{"id": "x"}]}, schema)  # the check can fail
    readme = parent.read("README.txt").decode()
    assert "Export van de gegevens van Sem de Boer" in readme
    assert "- consent/: de ondertekende toestemmingen als verzegelde pdf's (1)." in readme
    assert "- clips/: de video's die je mag bekijken (3, MP4)" in readme
    assert "Export of the data of Sem de Boer" in coach.read("README.txt").decode()


def test_the_export_page_shows_progress_and_the_download_works_once(app, client, login_as, world):
    circle = world
    login_as(circle.parent)
    page = client.get(f"/children/{circle.child.id}/export")
    assert page.status_code == 200 and "Maak een export" in page.get_data(as_text=True)
    # Asked for through the page: the test queue runs the job at once.
    response = client.post(f"/children/{circle.child.id}/export")
    assert response.status_code == 302
    export = db.session.scalar(
        select(ChildExport).where(ChildExport.requester_id == circle.parent.id)
    )
    status = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Download de export" in status and 'http-equiv="refresh"' not in status
    with app.app_context():
        key = db.session.get(ChildExport, export.id).storage_key
        path = storage.path_of(key)
    assert path.is_file()

    url = f"/children/{circle.child.id}/export/{export.id}/download"
    first = client.post(url)
    assert first.status_code == 200 and first.mimetype == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(first.data)).read("README.txt")
    assert not path.exists()  # handed over and gone from storage
    second = client.post(url)
    assert second.status_code == 410
    assert "al gedownload" in second.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ChildExport, export.id).state is ExportState.DOWNLOADED
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "ChildExport")
    ).all()
    assert actions == ["child_export_requested", "child_export_ready", "child_export_downloaded"]


def test_a_queued_export_refreshes_its_page_and_cannot_be_downloaded_yet(
    app, client, login_as, circle
):
    with app.app_context():
        seat = seat_for(
            db.session.get(User, circle.parent.id), db.session.get(Child, circle.child.id)
        )
        export = service.request_export(db.session, seat)
        again = service.request_export(db.session, seat)  # a double click: the same export
        db.session.commit()
        assert again.id == export.id
        export_id = export.id
    login_as(circle.parent)
    page = client.get(f"/children/{circle.child.id}/export/{export_id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="3">' in page and "<progress" in page
    response = client.post(f"/children/{circle.child.id}/export/{export_id}/download")
    assert response.status_code == 302
    assert "nog niet klaar" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_an_export_not_downloaded_within_its_day_is_refused_and_removed(
    app, client, login_as, circle
):
    sign_consent(app, circle.child, circle.parent)
    export = export_for(app, circle.parent, circle.child)
    with app.app_context():
        path = storage.path_of(export.storage_key)
    # What a worker killed while writing leaves: a temporary file no export names.
    stray = path.parent / ".tmp-killed-worker.zip"
    stray.write_bytes(b"PK half a zip")
    with time_machine.travel(export.expires_at + timedelta(minutes=1), tick=True):
        login_as(circle.parent)  # a day later: a session of that day
        response = client.post(f"/children/{circle.child.id}/export/{export.id}/download")
        assert response.status_code == 410
        assert "niet binnen een dag gedownload" in response.get_data(as_text=True)
        assert path.is_file()  # refused, nothing changed: the hourly job removes it
        with app.app_context():
            assert delivery.hourly_remove_expired_exports.call_local() == 1
            assert delivery.hourly_remove_expired_exports.call_local() == 0
        assert (
            client.post(f"/children/{circle.child.id}/export/{export.id}/download").status_code
            == 410
        )
    assert not path.exists() and not stray.exists()
    db.session.expire_all()
    assert db.session.get(ChildExport, export.id).state is ExportState.EXPIRED


def exports_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ChildExport))


def test_outsiders_others_exports_and_roles_without_the_right_get_nothing(
    app, client, login_as, circle, make_user, make_child
):
    other_coach = make_user("Andere Coach", staff=True)
    make_child("Ander Kind", coach=other_coach)
    export = export_for(app, circle.coach, circle.child)
    before = exports_count()
    asked = f"/children/{circle.child.id}/export"
    shown = f"/children/{circle.child.id}/export/{export.id}"
    # Outside the circle: 404, nothing asked.
    outsider = login_as(other_coach, on=app.test_client())
    assert outsider.post(asked).status_code == 404
    assert "niet gevonden" in outsider.post(asked).get_data(as_text=True).lower()
    assert outsider.get(shown).status_code == 404
    # A parent in the circle never reaches the coach's export.
    parent = login_as(circle.parent, on=app.test_client())
    assert parent.get(shown).status_code == 404
    assert parent.post(shown + "/download").status_code == 404
    # A teacher's role may not export at all.
    teacher = login_as(circle.teacher, on=app.test_client())
    assert teacher.get(asked).status_code == 403
    assert teacher.post(asked).status_code == 403
    assert exports_count() == before
    db.session.expire_all()
    assert db.session.get(ChildExport, export.id).state is ExportState.READY


def test_someone_removed_before_the_job_runs_gets_a_failed_export(app, circle):
    with app.app_context():
        seat = seat_for(
            db.session.get(User, circle.parent.id), db.session.get(Child, circle.child.id)
        )
        export = service.request_export(db.session, seat)
        db.session.commit()
        export_id = export.id
    from app.circle.models import Membership

    membership = db.session.scalar(select(Membership).where(Membership.user_id == circle.parent.id))
    membership.active_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with app.app_context():
        assert service.build(export_id) is ExportState.FAILED
    db.session.expire_all()
    export = db.session.get(ChildExport, export_id)
    assert export.failure == "no_longer_in_circle" and export.storage_key is None


def test_a_home_clip_the_parent_kept_to_themselves_is_in_their_export_only(app, circle, make_clip):
    sign_consent(app, circle.child, circle.parent)
    make_clip(
        circle.child,
        circle.parent,
        source=Source.HOME,
        audience=Audience.PRIVATE,
        title="Thuis eigen",
    )
    parent = json.loads(
        unzip(app, export_for(app, circle.parent, circle.child)).read("records.json")
    )
    coach = json.loads(unzip(app, export_for(app, circle.coach, circle.child)).read("records.json"))
    assert [c["title"] for c in parent["clips"]] == ["Thuis eigen"]
    # Private: the uploader and the coaches (DESIGN rule 2).
    assert [c["title"] for c in coach["clips"]] == ["Thuis eigen"]
    assert parent["clips"][0]["video"].endswith(".mp4")


def test_the_exports_table_migrates_up_and_down(tmp_path_factory):
    url = fresh_database_url(tmp_path_factory, "export-migration")
    cfg = alembic_config(url)
    command.upgrade(cfg, "a9d3e6f1c2b8")

    def tables() -> set[str]:
        engine = make_engine(url)
        try:
            return set(inspect(engine).get_table_names())
        finally:
            engine.dispose()

    assert "child_exports" in tables()
    command.downgrade(cfg, "-1")
    assert "child_exports" not in tables()
    command.upgrade(cfg, "a9d3e6f1c2b8")
    assert "child_exports" in tables()
