"""Erasure in tests: a child with something in every feature, the walk of every row that
belongs to a child, the files in media storage, and a job queue that holds its jobs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import time_machine
from huey.storage import MemoryStorage
from sqlalchemy import Table, func, select

from app.circle.audience import Audience
from app.circle.models import Child
from app.clips.models import Clip, DestroyReason, Moment, Source, Tag, Upload
from app.clips.services import retention
from app.consent.models import Purpose
from app.core import jobs, resumable
from app.core.db import Base, db, utcnow
from app.meetings.models import Meeting
from tests.support.consent import sign_consent, withdraw
from tests.support.export import export_for
from tests.support.meetings import plan
from tests.support.people import invite
from tests.support.plans import answer_plan, sent_plan
from tests.support.summaries import add_agenda, during, finalise_form

#: Folders of media storage that hold nothing about anyone: empty lock files named by a
#: clip's number, and the audit chain's anchors.
NOT_ABOUT_ANYONE = (".locks", "audit-anchors")


@dataclass
class World:
    """A child with footage, consent, a finalised meeting and more; a second child beside it."""

    child: Child
    other: Child
    other_clip: Clip
    clips: list[Clip]
    meeting: Meeting


def build_world(
    app: Any, client: Any, login_as: Any, circle: Any, make_clip: Any, make_child: Any
) -> World:
    """Give ``circle``'s child something in every feature, through the services and pages:
    signed consent and a withdrawal (sealed PDFs), clips with posters and web versions, a
    fragment, a moment, an upload still arriving, a destroyed clip's tombstone, a meeting
    finalised with its agenda, agreement and summary PDF, acknowledged by a parent, an open
    invitation, a parent's export ready to download, and a support plan sent and signed.
    Another child of the school gets a clip of its own."""
    child = circle.child
    other = make_child("Ander Kind", coach=circle.coach)
    other.guiding_question = "Hoe leert Ander Kind het best?"
    db.session.commit()
    other_clip = make_clip(other, circle.coach, title="Ander kind in de kring")

    sign_consent(app, child, circle.parent)
    sign_consent(app, child, circle.parent2)
    withdraw(app, child, circle.parent2, [Purpose.PEER_REVIEW])
    meeting = plan(app, child, circle.coach, [circle.coach, circle.teacher, circle.parent])
    add_agenda(meeting, circle, make_clip)
    gone = make_clip(child, circle.coach, title="Weggegooid")
    with app.test_request_context():
        retention.destroy(db.session, db.session.get(Clip, gone.id), DestroyReason.DELETED)
        db.session.commit()
    clips = list(db.session.scalars(select(Clip).where(Clip.child_id == child.id)))
    db.session.add(
        Moment(
            child_id=child.id,
            clip_id=clips[0].id,
            author_id=circle.coach.id,
            start_s=1.0,
            tag=Tag.SUCCESS,
            text="Sem steekt zijn vinger op",
            audience=Audience.TEAM,
        )
    )
    db.session.commit()  # an app context's end removes the session
    with app.app_context():
        partial = resumable.create_partial(4096)
    db.session.add(
        Upload(
            upload_id=partial.upload_id,
            child_id=child.id,
            uploader_id=circle.teacher.id,
            source=Source.SCHOOL,
            length=4096,
            filename="kring.mp4",
            title="Kring",
            audience=Audience.TEAM,
            expires_at=utcnow() + timedelta(days=1),
        )
    )
    db.session.commit()

    with time_machine.travel(during(meeting), tick=True):
        login_as(circle.coach)
        url = f"/children/{child.id}/meetings/{meeting.id}/finalise"
        form = finalise_form(meeting, [circle.coach, circle.teacher, circle.parent])
        assert client.post(url, data=form).status_code == 302
        assert invite(client, child, email="oma@example.nl").status_code == 302
        client.post("/sign-out")
        login_as(circle.parent)
        acknowledge = f"/children/{child.id}/meetings/{meeting.id}/summary/acknowledge"
        page = client.get(acknowledge).get_data(as_text=True)
        fields = {
            name: re.search(rf'name="{name}"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            for name in ("token", "summary_id")
        }
        answer = {**fields, "answer": "agree", "typed_name": "Ouder Petra"}
        assert client.post(acknowledge, data=answer).status_code == 302
        client.post("/sign-out")
    export = export_for(app, circle.parent, child)  # a zip ready to download
    assert export.storage_key is not None
    version, _goal = sent_plan(app, child, circle.coach)  # with its sealed PDF
    login_as(circle.parent)
    assert answer_plan(client, version, "Ouder Petra").status_code == 302
    client.post("/sign-out")
    return World(child, other, other_clip, clips, meeting)


def _primary_key(table: Table) -> Any:
    (column,) = table.primary_key.columns  # every table has a one-column key
    return column


def rows_of_child(child_id: int) -> dict[str, set[Any]]:
    """The primary keys of every row that belongs to child ``child_id``, by table: the child's
    row, the rows with its ``child_id``, and every row that refers to one of those through a
    foreign key, and so on (audit events included: their personal details refer to them)."""
    found: dict[str, set[Any]] = {"children": {child_id}}
    for table in Base.metadata.sorted_tables:
        if "child_id" in table.c:
            keys = db.session.scalars(
                select(_primary_key(table)).where(table.c.child_id == child_id)
            )
            found.setdefault(table.name, set()).update(keys)
    grown = True
    while grown:
        grown = False
        for table in Base.metadata.sorted_tables:
            for key in table.foreign_keys:
                referred = key.column.table.name
                if not found.get(referred) or key.column is not _primary_key(key.column.table):
                    continue
                keys = set(
                    db.session.scalars(
                        select(_primary_key(table)).where(key.parent.in_(found[referred]))
                    )
                )
                if not keys <= found.get(table.name, set()):
                    found.setdefault(table.name, set()).update(keys)
                    grown = True
    return {name: keys for name, keys in found.items() if keys}


def still_there(found: dict[str, set[Any]]) -> dict[str, int]:
    """How many of the rows in ``found`` (as :func:`rows_of_child` gives them) still exist."""
    tables = Base.metadata.tables
    left = {}
    for name, keys in found.items():
        column = _primary_key(tables[name])
        count = db.session.scalar(
            select(func.count()).select_from(tables[name]).where(column.in_(keys))
        )
        if count:
            left[name] = count
    return left


def text_anywhere(*needles: str) -> dict[str, list[str]]:
    """Which tables hold any of ``needles`` in any column of any row (exact text)."""
    hits: dict[str, list[str]] = {}
    for table in Base.metadata.sorted_tables:
        for row in db.session.execute(select(table)):
            flat = " ".join(str(value) for value in row)
            for needle in needles:
                if needle in flat:
                    hits.setdefault(table.name, []).append(needle)
    return hits


def stored_files(root: Path) -> set[str]:
    """Every file in media storage, as its key, but the folders about nobody."""
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and path.relative_to(root).parts[0] not in NOT_ABOUT_ANYONE
    }


def hold_jobs(app: Any, monkeypatch: Any) -> jobs.JobQueue:
    """From now on the app's jobs wait in a queue of their own, as for a worker, instead of
    running at once, in an app context or not (undone with the test)."""
    binding = jobs._Binding(app, MemoryStorage("erasure-test"), immediate=False)
    monkeypatch.setitem(app.extensions, jobs._EXTENSION, binding)
    monkeypatch.setattr(jobs.huey, "_last", binding)  # outside an app context too
    return jobs.huey
