"""Erasing a child's footage: every clip and fragment with its files (web version, poster, any
original left), its moments, the uploads still arriving with their partial files, and the
tombstones of clips destroyed before. Unlike the purge, erasure keeps no clip tombstone: the
child's own tombstone is all that remains (``app.children.erasure``).

Files go only after the commit (:func:`app.core.after_commit.defer`): a rollback leaves every
row with its file. The jobs queued for the child's clips are revoked after the commit too; one
that runs anyway (the worker had it already) finds its row gone and does nothing
(``processing.run`` returns None for a clip that no longer exists).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from app.circle.models import Child
from app.clips.models import Clip, ClipTombstone, Moment, Upload
from app.clips.services import conversion, cutting
from app.core import after_commit, jobs, resumable, storage
from app.core.db import DbSession

#: The jobs that work on one clip, by the clip's id as their first argument.
CLIP_JOBS = frozenset(
    jobs.huey._registry.task_to_string(task.task_class)
    for task in (conversion.convert_clip, cutting.cut_fragment)
)


def erase_child(session: DbSession, child: Child) -> None:
    """Delete every clip, moment, upload and clip tombstone of ``child``; their files and
    queued jobs go once the caller commits. Raises nothing beyond database errors."""
    clips = session.execute(
        select(Clip.id, Clip.web_key, Clip.poster_key, Clip.original_key).where(
            Clip.child_id == child.id
        )
    ).all()
    keys = [key for row in clips for key in row[1:] if key]
    clip_ids = {row.id for row in clips}
    partials = list(
        session.scalars(
            select(Upload.upload_id).where(Upload.child_id == child.id, Upload.clip_id.is_(None))
        )
    )
    session.execute(delete(Upload).where(Upload.child_id == child.id))
    session.execute(delete(Moment).where(Moment.child_id == child.id))
    # Fragments before their recordings (a fragment's parent_id names its recording).
    session.execute(delete(Clip).where(Clip.child_id == child.id, Clip.parent_id.is_not(None)))
    session.execute(delete(Clip).where(Clip.child_id == child.id))
    session.execute(delete(ClipTombstone).where(ClipTombstone.child_id == child.id))

    def files_and_jobs() -> None:
        for key in keys:
            storage.delete(key)
        for upload_id in partials:
            resumable.delete_partial(upload_id)
        if clip_ids:
            jobs.revoke_queued(lambda name, args, _kw: _for_clips(name, args, clip_ids))

    after_commit.defer(session, files_and_jobs)


def _for_clips(name: str, args: tuple[Any, ...], clip_ids: set[int]) -> bool:
    return name in CLIP_JOBS and bool(args) and args[0] in clip_ids
