"""The real job worker: a Huey consumer process takes an uploaded clip to READY, and a worker
killed mid-conversion leaves the clip retryable.

Everything runs as ``make run`` runs it: a SQLite queue file, the consumer started with
``huey_consumer app.tasks.huey``, a database of its own for this test (a SQLite file, or
PostgreSQL when TEST_DATABASE_URL is set), and the clip queued by another process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from app.circle.audience import Audience
from app.circle.models import Child, School
from app.cli import alembic_config
from app.clips.models import Clip, ClipState, Source
from app.clips.services import transcode
from app.core import storage
from app.core.audit import AuditEvent
from tests.support.footage import make_video
from tests.support.infra import fresh_database_url

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.fixture
def world(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A migrated database, a media folder and a queue of their own, and the worker's env."""
    url = fresh_database_url(tmp_path_factory, "worker")
    command.upgrade(alembic_config(url), "head")
    engine = create_engine(url)
    env = {
        **os.environ,
        "BEELDBRUG_ENV": "development",
        "BEELDBRUG_INSTANCE": str(tmp_path / "instance"),
        "DATABASE_URL": url,
        "MEDIA_ROOT": str(tmp_path / "media"),
        "JOBS_URL": f"sqlite:///{tmp_path / 'jobs.db'}",
        "MAIL_BACKEND": "console",
    }
    with Session(engine) as session:
        school = School(name="OBS De Linde", city="Amersfoort")
        session.add(school)
        session.flush()
        child = Child(
            school_id=school.id,
            name="Sem de Boer",
            date_of_birth=date(2017, 5, 2),
            group_name="groep 4",
            guiding_question="Wat heeft Sem nodig?",
            started_on=date(2026, 9, 1),
        )
        session.add(child)
        session.commit()
        child_id = child.id
    yield {"engine": engine, "env": env, "media": tmp_path / "media", "child_id": child_id}
    engine.dispose()


def add_upload(world: dict[str, Any], video: Path) -> int:
    files = storage.LocalStorage(world["media"])
    stored = files.store_bytes(video.read_bytes(), folder="clips/originals", suffix=".mp4")
    with Session(world["engine"]) as session:
        clip = Clip(
            child_id=world["child_id"],
            source=Source.SCHOOL,
            title="Kring",
            audience=Audience.TEAM,
            state=ClipState.UPLOADED,
            original_key=stored.key,
            original_size=stored.size,
        )
        session.add(clip)
        session.commit()
        return clip.id


# What the web process does after an upload: its app binds the queue, and it calls the task.
QUEUE_CONVERSION = (
    "from app import create_app\n"
    "from app.clips.services import conversion\n"
    "with create_app().app_context():\n"
    "    conversion.convert_clip({clip_id})\n"
)


def queue(world: dict[str, Any], code: str) -> None:
    """Run ``code`` in a process of its own, as the web process would (it queues jobs)."""
    subprocess.run([sys.executable, "-c", code], env=world["env"], cwd=ROOT, check=True, timeout=60)


def start_worker(world: dict[str, Any]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(BIN / "huey_consumer"), "app.tasks.huey", "-w", "1", "-k", "process", "-m", "0.5"],
        env=world["env"],
        cwd=ROOT,
        start_new_session=True,  # its own process group: the test can kill worker and ffmpeg
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(worker: subprocess.Popen[bytes], how: int = signal.SIGINT) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, how)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)


def clip_row(world: dict[str, Any], clip_id: int) -> Clip:
    with Session(world["engine"], expire_on_commit=False) as session:
        clip = session.get(Clip, clip_id)
        assert clip is not None
        session.expunge(clip)
        return clip


def eventually(condition: Any, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def finished(clip: Clip) -> bool:
    # READY is committed first, then the original is deleted and forgotten.
    return clip.state is ClipState.FAILED or (
        clip.state is ClipState.READY and clip.original_key is None
    )


def wait_for(world: dict[str, Any], clip_id: int, done: Any, timeout: float = 90) -> Clip:
    deadline = time.monotonic() + timeout
    while True:
        clip = clip_row(world, clip_id)
        if done(clip) or time.monotonic() > deadline:
            return clip
        time.sleep(0.1)


def test_a_real_worker_takes_an_upload_to_ready(world, videos):
    clip_id = add_upload(world, videos["landscape"])
    worker = start_worker(world)
    try:
        queue(world, QUEUE_CONVERSION.format(clip_id=clip_id))
        clip = wait_for(world, clip_id, finished)
    finally:
        stop(worker)
    assert worker.returncode is not None
    assert clip.state is ClipState.READY, clip.failure
    assert (world["media"] / clip.web_key).is_file()
    assert (world["media"] / clip.poster_key).is_file()
    assert clip.original_key is None
    assert not list((world["media"] / "clips" / "originals").iterdir())


def test_a_worker_killed_mid_conversion_leaves_the_clip_retryable(world, tmp_path):
    # Long enough that the conversion is still running when the worker is killed.
    video = make_video(tmp_path / "long.mp4", seconds=20, size="1280x720", rate=30)
    clip_id = add_upload(world, video)
    # Queued before the worker starts: queueing starts a Python of its own, and a worker
    # already running could convert the whole clip meanwhile, before this test looks.
    queue(world, QUEUE_CONVERSION.format(clip_id=clip_id))
    worker = start_worker(world)
    try:
        clip = wait_for(
            world,
            clip_id,
            lambda c: c.progress > 0 or c.state in {ClipState.READY, ClipState.FAILED},
        )
    finally:
        stop(worker, signal.SIGKILL)

    assert clip.state is ClipState.PROCESSING and 0 < clip.progress < 100
    clip = clip_row(world, clip_id)
    assert clip.state is ClipState.PROCESSING and clip.web_key is None  # never half-published
    # No worker holds its lock once the killed processes are gone: the clip is stuck.
    assert eventually(lambda: transcode.lock_is_free(world["media"], clip_id))
    assert (world["media"] / clip.original_key).is_file()
    assert not list((world["media"] / "clips" / "web").glob("*.mp4"))

    queue(
        world,
        "from app import create_app\n"
        "from app.clips.models import Clip\n"
        "from app.clips.services import cutting, processing\n"
        "from app.core.db import db\n"
        "with create_app().app_context():\n"
        f"    clip = db.session.get(Clip, {clip_id})\n"
        "    assert processing.is_stuck(clip)\n"
        "    processing.retry(db.session, clip, actor=None)\n"
        "    db.session.commit()\n"
        "    cutting.enqueue(clip)\n",
    )
    worker = start_worker(world)
    try:
        clip = wait_for(world, clip_id, finished)
    finally:
        stop(worker)
    assert clip.state is ClipState.READY and clip.attempts == 2


def test_a_conversion_cut_off_by_a_crash_resumes_when_the_worker_starts(world, tmp_path):
    video = make_video(tmp_path / "long.mp4", seconds=20, size="1280x720", rate=30)
    clip_id = add_upload(world, video)
    # Queued before the worker starts: queueing starts a Python of its own, and a worker
    # already running could convert the whole clip meanwhile, before this test looks.
    queue(world, QUEUE_CONVERSION.format(clip_id=clip_id))
    worker = start_worker(world)
    try:
        wait_for(world, clip_id, lambda c: c.progress > 0 or c.state is not ClipState.UPLOADED)
    finally:
        stop(worker, signal.SIGKILL)
    assert clip_row(world, clip_id).state is ClipState.PROCESSING
    assert eventually(lambda: transcode.lock_is_free(world["media"], clip_id))

    # Nobody presses retry: the worker, started again, takes the clip up by itself.
    worker = start_worker(world)
    try:
        clip = wait_for(world, clip_id, finished)
    finally:
        stop(worker)
    assert clip.state is ClipState.READY and clip.attempts == 2
    with Session(world["engine"]) as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_id == clip_id)
        ).all()
    assert "clip_resumed" in actions and "clip_failed" not in actions
