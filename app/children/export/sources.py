"""What goes into a child's export, one source per feature: each asks that feature's public
services what ``seat`` may see, and never decides access itself.

A source is a function ``(session, seat) -> Section``: the part of ``records.json`` under the
section's key, its JSON Schema, the stored files it brings (sealed PDFs, web versions of clips),
small texts (WebVTT) and README.txt's line about its files. :data:`SOURCES` lists them in the
order ``records.json`` shows them. Adding a source is one more function appended to that list
(as ``plan_source.plans_source``, the support plan's versions and their PDFs), asking the
feature's own service for what the seat may see; schema.json, README.txt and the zip follow
from its section.
"""

from __future__ import annotations

from typing import Any

from app.children.export.plan_source import plans_source
from app.children.export.shapes import (
    DATE,
    INSTANT,
    INT,
    NINT,
    NSTR,
    NUM,
    STR,
    Section,
    Source,
    StoredEntry,
    array_of,
    obj,
    optional,
    slug,
    when,
)
from app.children.export.watched_source import watched_source
from app.circle.policy import Seat
from app.clips.services import export as clip_export
from app.clips.services.moments import tag_label
from app.consent import services as consent
from app.core.db import DbSession
from app.core.i18n import gettext as _
from app.meetings.services import agreements, visible
from app.people import services as people

# --- the sources ------------------------------------------------------------------------------


def child_source(session: DbSession, seat: Seat) -> Section:
    """The child's record and circle as the child's page shows them to ``seat``."""
    child = seat.child
    members = people.circle(session, child)
    data = {
        "name": child.name,
        "date_of_birth": when(child.date_of_birth),
        "group": child.group_name,
        "guiding_question": child.guiding_question,
        "started_on": when(child.started_on),
        "ended_on": when(child.ended_on),
        "circle": [
            {"name": m.user.name, "role": m.role.value, "since": when(m.active_from)}
            for m in members
        ],
    }
    schema = obj(
        "The child and the people in the child's circle now.",
        name=STR,
        date_of_birth=DATE,
        group=STR,
        guiding_question=STR,
        started_on=DATE,
        ended_on=DATE,
        circle=array_of(
            "Members of the circle: name, role (coach, teacher, specialist, parent, pupil).",
            obj("A member.", name=STR, role=STR, since=INSTANT),
        ),
    )
    return Section("child", data, schema)


def consent_source(session: DbSession, seat: Seat) -> Section:
    """The consent records ``seat`` may read (their own; every signer's for the coach), each
    with its sealed PDF."""
    records = consent.visible_records(session, seat)
    issued = consent.documents_of(session, records)
    files: list[StoredEntry] = []
    data = []
    for record in records:
        pdf = None
        document = issued.get(record.id)
        if document is not None:
            pdf = f"consent/{record.id}-{record.kind.value}-{record.signed_at:%Y-%m-%d}.pdf"
            files.append(StoredEntry(pdf, document.storage_key))
        data.append(
            {
                "id": record.id,
                "kind": record.kind.value,
                "signer": record.signer_name,
                "signer_role": record.signer_role.value,
                "signed_at": when(record.signed_at),
                "template_version": record.template_version,
                "language": record.language,
                "answers": dict(record.answers),
                "withdrawn": list(record.withdrawn or []),
                "text_sha256": record.text_sha256,
                "pdf": pdf,
            }
        )
    schema = array_of(
        "Signed consent and withdrawal records, newest first.",
        obj(
            "A record; a change of mind is a new record, never an edit.",
            id=INT,
            kind={"enum": ["consent", "withdrawal"]},
            signer=STR,
            signer_role={"enum": ["guardian", "pupil"]},
            signed_at=INSTANT,
            template_version=INT,
            language=STR,
            answers={
                "type": "object",
                "description": "Answer per purpose: yes or no.",
                "additionalProperties": {"enum": ["yes", "no"]},
            },
            withdrawn=array_of("Purposes this record withdrew.", STR),
            text_sha256={**STR, "description": "SHA-256 of the exact text the signer saw."},
            pdf={**NSTR, "description": "Path of the sealed PDF in this zip."},
        ),
    )
    note = "consent/: " + _("the signed consent records as sealed PDFs (%(n)s).", n=len(files))
    return Section("consent", data, schema, files, readme=note)


def clips_source(session: DbSession, seat: Seat) -> Section:
    """The clips ``seat`` may watch now (web versions) and the moments it sees in them."""
    clips = clip_export.watchable_clips(session, seat)
    listed = {w.clip.id for w in clips}
    files: list[StoredEntry] = []
    texts: dict[str, str] = {}
    data = []
    for watchable in clips:
        clip = watchable.clip
        base = f"clips/{clip.id}-{slug(clip.title)}"
        files.append(StoredEntry(f"{base}.mp4", watchable.video_key))
        vtt = None
        if watchable.moments:
            vtt = f"{base}.vtt"
            texts[vtt] = watchable.vtt()
        data.append(
            {
                "id": clip.id,
                "title": clip.title,
                "source": clip.source.value,
                "recorded_on": when(clip.recorded_on),
                "uploaded_by": clip.uploader.name if clip.uploader else None,
                "uploaded_at": when(clip.created_at),
                # A fragment names its recording only when that recording is in the export.
                "recording_id": clip.parent_id if clip.parent_id in listed else None,
                "is_fragment": clip.is_fragment,
                "start_s": clip.start_s,
                "end_s": clip.end_s,
                "duration_s": clip.duration_s,
                "audience": clip.audience.value,
                "video": f"{base}.mp4",
                "moments_vtt": vtt,
                "moments": [
                    {
                        "id": m.id,
                        "start_s": m.start_s,
                        "end_s": m.end_s,
                        "tag": tag_label(m),
                        "text": m.text,
                        "author": m.author.name if m.author else None,
                        "audience": m.audience.value,
                    }
                    for m in watchable.moments
                ],
            }
        )
    moment = obj(
        "A moment marked in the clip.",
        id=INT,
        start_s={"type": "number"},
        end_s=NUM,
        tag=STR,
        text=STR,
        author=NSTR,
        audience={"enum": ["private", "team", "circle"]},
    )
    schema = array_of(
        "Recordings and fragments the requester may watch, with the web version of each.",
        obj(
            "A clip.",
            id=INT,
            title=STR,
            source={"enum": ["school", "home"]},
            recorded_on=DATE,
            uploaded_by=NSTR,
            uploaded_at=INSTANT,
            recording_id=NINT,
            is_fragment={"type": "boolean"},
            start_s=NUM,
            end_s=NUM,
            duration_s=NUM,
            audience={"enum": ["private", "team", "circle"]},
            video={**STR, "description": "Path of the MP4 (H.264/AAC) in this zip."},
            moments_vtt={**NSTR, "description": "Path of the moments as WebVTT in this zip."},
            moments=array_of("Moments the requester sees, in time order.", moment),
        ),
    )
    note = "clips/: " + _(
        "the video clips you may watch (%(n)s, MP4), with the marked moments as subtitles "
        "(WebVTT, .vtt).",
        n=len(clips),
    )
    return Section("clips", data, schema, files, texts, readme=note)


def meetings_source(session: DbSession, seat: Seat) -> Section:
    """The meetings ``seat`` sees as their pages show them, with the summaries' sealed PDFs."""
    files: list[StoredEntry] = []
    data = []
    for shown in visible.meetings_as_seen(session, seat):
        meeting = shown.seen.meeting
        summaries = []
        for summary, document in shown.summaries:
            pdf = None
            if document is not None:
                pdf = f"meetings/{meeting.id}-summary-{summary.number}.pdf"
                files.append(StoredEntry(pdf, document.storage_key))
            summaries.append(
                {
                    "number": summary.number,
                    "seen": summary.seen,
                    "need": summary.need,
                    "addendum": summary.addendum,
                    "created_at": when(summary.created_at),
                    "pdf": pdf,
                }
            )
        items = []
        for item in shown.items:
            notes = shown.notes.get(item.id)
            entry: dict[str, Any] = {
                "position": item.position,
                "clip_id": item.clip_id,
                "pair_clip_id": item.pair_clip_id,
                "moment_id": item.moment_id,
            }
            if shown.sees_prep_notes:
                entry["prep_note"] = item.prep_note
            if notes is not None:
                entry["seen"], entry["need"] = notes.seen, notes.need
            items.append(entry)
        data.append(
            {
                "id": meeting.id,
                "kind": meeting.kind.value,
                "state": meeting.state.value,
                "starts_at": when(meeting.starts_at),
                "ends_at": when(meeting.ends_at),
                "place": meeting.place,
                "guiding_question": meeting.guiding_question,
                "invited": [i.user.name for i in shown.invitees],
                "agenda": items,
                "contributions": [
                    {
                        "author": c.author.name if c.author else None,
                        "text": c.text,
                        "at": when(c.created_at),
                    }
                    for c in shown.contributions
                ],
                "summaries": summaries,
            }
        )
    item_schema = optional(
        obj(
            "An agenda item: a clip of this export, or a home/school pair.",
            position=INT,
            clip_id=INT,
            pair_clip_id=NINT,
            moment_id=NINT,
        ),
        prep_note={**STR, "description": "The school side's preparation (staff only)."},
        seen={**STR, "description": "What the group saw (school side's notes)."},
        need={**STR, "description": "What the child needs (school side's notes)."},
    )
    schema = array_of(
        "Meetings the requester sees, the latest first.",
        obj(
            "A meeting.",
            id=INT,
            kind=STR,
            state={"enum": ["planned", "held", "finalised", "cancelled"]},
            starts_at=INSTANT,
            ends_at=INSTANT,
            place=STR,
            guiding_question=STR,
            invited=array_of("Names of the people invited.", STR),
            agenda=array_of("Agenda items the requester may watch, in order.", item_schema),
            contributions=array_of(
                "Questions brought beforehand.", obj("One.", author=NSTR, text=STR, at=INSTANT)
            ),
            summaries=array_of(
                "The summary and its addenda, each sealed as a PDF.",
                obj(
                    "A summary.",
                    number=INT,
                    seen=STR,
                    need=STR,
                    addendum=STR,
                    created_at=INSTANT,
                    pdf=NSTR,
                ),
            ),
        ),
    )
    note = "meetings/: " + _("the meeting summaries as sealed PDFs.")
    return Section("meetings", data, schema, files, readme=note)


def agreements_source(session: DbSession, seat: Seat) -> Section:
    """The agreements ``seat`` sees (made or reviewed in a meeting it sees, or its own)."""
    found = session.scalars(agreements.visible_agreements(seat))
    data = [
        {
            "id": a.id,
            "meeting_id": a.meeting_id,
            "text": a.text,
            "party": a.party.value,
            "owner": a.owner.name if a.owner else None,
            "due_on": when(a.due_on),
            "status": a.status.value,
        }
        for a in found
    ]
    schema = array_of(
        "Agreements: who does what, by when; their status now.",
        obj(
            "An agreement.",
            id=INT,
            meeting_id=INT,
            text=STR,
            party={"enum": ["school", "home", "coach"]},
            owner=NSTR,
            due_on=DATE,
            status=STR,
        ),
    )
    return Section("agreements", data, schema)


#: Every source, in the order records.json lists them. One more source is one more function.
SOURCES: tuple[Source, ...] = (
    child_source,
    consent_source,
    clips_source,
    watched_source,
    meetings_source,
    agreements_source,
    plans_source,
)


def sections_for(session: DbSession, seat: Seat) -> list[Section]:
    """Every source's section for ``seat``. The caller has checked that ``seat`` may export
    (``Action.EXPORT_CHILD``); each source applies its feature's rules of what ``seat`` sees."""
    return [source(session, seat) for source in SOURCES]
