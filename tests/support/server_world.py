"""Pieces of the worlds that browser journeys add to their server's database (run by
``python -m tests.support.<journey>`` with the server's environment): a child of its own
in the demo school with the demo coach and teacher and a parent who consented to
everything, tiny synthetic footage, and ready clips made of it."""

from __future__ import annotations

import secrets
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.auth import services as auth
from app.circle.audience import Audience
from app.circle.models import Child, Membership, Role, User
from app.clips.models import Clip, ClipState, Source
from app.core import storage
from app.core.db import db, utcnow
from tests.support.consent import sign_consent
from tests.support.demo import COACH
from tests.support.footage import ffmpeg, make_video

TEACHER = "juf.fatima@regenboog.example"


@dataclass
class Circle:
    coach: User
    teacher: User
    parent: User
    child: Child


def child_with_circle(
    app: Flask,
    child: Child,
    parent_name: str,
    parent_email: str,
    *,
    password: str | None = None,
) -> Circle:
    """Add ``child`` to the demo coach's school with the demo coach and teacher and a new
    parent (a unique address made from ``parent_email``, ``password`` to sign in with) who
    signed consent for everything."""
    coach = db.session.scalar(select(User).where(User.email == COACH))
    teacher = db.session.scalar(select(User).where(User.email == TEACHER))
    assert coach is not None and teacher is not None
    local, domain = parent_email.split("@")
    parent = User(
        email=f"{local}.{secrets.token_hex(4)}@{domain}", name=parent_name, preferred_language="nl"
    )
    if password is not None:
        auth.set_password(parent, password)
    child.school_id = coach.school_id
    db.session.add_all([parent, child])
    db.session.flush()
    since = utcnow() - timedelta(days=1)
    for user, role in [(coach, Role.COACH), (teacher, Role.TEACHER), (parent, Role.PARENT)]:
        db.session.add(Membership(child_id=child.id, user_id=user.id, role=role, active_from=since))
    db.session.commit()
    sign_consent(app, child, parent)
    return Circle(coach, teacher, parent, child)


def footage(*extra: str) -> tuple[bytes, bytes]:
    """A six-second synthetic video (``extra`` ffmpeg output options) and a poster."""
    with tempfile.TemporaryDirectory() as folder:
        path = make_video(Path(folder) / "web.mp4", seconds=6, extra=extra)
        still = Path(folder) / "poster.jpg"
        ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240", "-frames:v", "1", str(still))
        return path.read_bytes(), still.read_bytes()


def ready_clip(
    app: Flask,
    child: Child,
    uploader: User,
    title: str,
    media: tuple[bytes, bytes],
    *,
    source: Source = Source.SCHOOL,
    audience: Audience = Audience.TEAM,
    recorded_on: date | None = None,
    **values: Any,
) -> Clip:
    """A clip of ``child`` ready to play: ``media`` (video, poster) stored as its files."""
    files = storage.LocalStorage(Path(app.config["MEDIA_ROOT"]))
    video, poster = media
    web = files.store_bytes(video, folder="clips/web", suffix=".mp4")
    still = files.store_bytes(poster, folder="clips/posters", suffix=".jpg")
    clip = Clip(
        child_id=child.id,
        source=source,
        uploader_id=uploader.id,
        title=title,
        recorded_on=recorded_on or utcnow().date() - timedelta(days=3),
        audience=audience,
        state=ClipState.READY,
        progress=100,
        web_key=web.key,
        web_size=web.size,
        web_sha256=web.sha256,
        poster_key=still.key,
        duration_s=6.0,
        width=320,
        height=240,
        ready_at=utcnow(),
        **values,
    )
    db.session.add(clip)
    db.session.flush()
    return clip
