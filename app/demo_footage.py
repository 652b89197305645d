"""The demo school's footage: synthetic recordings, processed like real uploads.

The pictures are ffmpeg's test sources (``testsrc2``, ``smptebars``, ``mandelbrot``) with a sine
tone: never real footage, never people. Each recording is stored as an original and goes
through the real conversion service (poster, web version, original deleted), so the demo shows
what an upload becomes. Noah's parents consented to filming at school and at home; Elif's have
not answered yet, so Elif has no footage at all (consent first).

What is made, for Noah: a school recording of the circle time (team only) with moments in the
method's tags and a ten-second fragment the coach shared with the parents; a second school
recording with classmates in view, not yet cleared (team only); and a home recording by his
father, opened to the school team, with a fragment of it the coach shared with the parents.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import imageio_ffmpeg
from sqlalchemy import select

from app.circle import policy
from app.circle.audience import Audience
from app.circle.models import Child, User
from app.clips.models import Clip, ClipState, Source, Tag
from app.clips.services import conversion, cutting, fragments, moments
from app.core import audit, storage
from app.core.clock import local_date
from app.core.db import DbSession

#: 640×360 keeps `make run` quick; the web version keeps that size (it is below 720p).
SIZE = "640x360"


@dataclass(frozen=True)
class Recording:
    key: str  # how the moments and fragments below name it
    title: str
    uploader: str  # a key of app.demo.PEOPLE
    source: Source
    audience: Audience
    picture: str  # an ffmpeg lavfi source, without its size and duration
    tone_hz: int
    seconds: int
    days_ago: int
    shows_others: bool = False
    notes: str = ""


RECORDINGS = [
    Recording(
        "circle", "Kringgesprek op maandag", "teacher", Source.SCHOOL, Audience.TEAM,
        "testsrc2=rate=25", 440, 24, 12,
        notes="Noah zit naast juf Fatima; de kring duurt twintig minuten.",
    ),
    Recording(
        "table", "Rekenen aan de instructietafel", "coach", Source.SCHOOL, Audience.TEAM,
        "smptebars=rate=25", 523, 20, 9, shows_others=True,
        notes="Drie klasgenoten aan tafel: nog niet bevestigd dat zij in beeld mogen.",
    ),
    Recording(
        "home", "Samen koken thuis", "parent", Source.HOME, Audience.TEAM,
        "mandelbrot=rate=25:maxiter=256", 330, 20, 5,
        notes="Noah helpt met de pannenkoeken.",
    ),
]  # fmt: skip

# (recording, start, end, tag, note, author, audience)
MOMENTS = [
    ("circle", 3.0, None, Tag.ATTENTIVE, "Juf kijkt Noah aan als hij gaat verzitten.",
     "teacher", Audience.TEAM),
    ("circle", 9.5, 12.0, Tag.RECEIVING_INITIATIVES,
     "Noah wijst naar het plaatje; juf knikt en benoemt het.", "coach", Audience.CIRCLE),
    ("circle", 14.0, None, Tag.SUCCESS, "Noah blijft zitten en doet mee met het liedje.",
     "coach", Audience.CIRCLE),
    ("circle", 22.0, None, Tag.NEED, "Wat heeft Noah hier nodig? Een vaste plek dicht bij juf.",
     "coach", Audience.TEAM),
    ("table", 6.0, None, Tag.TURN_TAKING, "Om de beurt een som; Noah wacht op zijn beurt.",
     "coach", Audience.TEAM),
]  # fmt: skip

# (recording, start, end, title, audience): the fragments the coach shares with the parents,
# one from school and one from home (the demo meeting watches them side by side).
FRAGMENTS = [
    ("circle", 8.0, 18.0, "Noah doet mee in de kring", Audience.CIRCLE),
    ("home", 2.0, 14.0, "Samen pannenkoeken bakken", Audience.CIRCLE),
]


def has_footage(session: DbSession, child: Child) -> bool:
    """True when ``child`` has any clip (then the demo adds none)."""
    return session.scalar(select(Clip.id).where(Clip.child_id == child.id).limit(1)) is not None


def add_footage(session: DbSession, child: Child, users: dict[str, User], coach: User) -> None:
    """Make, process and annotate the demo recordings of ``child``; commits as it goes (the
    conversion service commits its own steps). Needs an app context with a request (for the
    audit's request details and the translations).

    Raises subprocess.CalledProcessError when ffmpeg cannot make a test video, RuntimeError
    when a recording or fragment does not become ready, and what the clip services raise.
    """
    clips: dict[str, Clip] = {}
    with tempfile.TemporaryDirectory(prefix="beeldbrug-demo-") as folder:
        for spec in RECORDINGS:
            path = _synthesise(Path(folder) / f"{spec.key}.mp4", spec)
            clips[spec.key] = _upload(session, child, users[spec.uploader], spec, path)
    for spec in RECORDINGS:
        if conversion.convert(clips[spec.key].id) is not ClipState.READY:
            raise RuntimeError(f"the demo recording {spec.key!r} did not become ready")
    for key, start, end, tag, note, author, audience in MOMENTS:
        clip = session.get(Clip, clips[key].id, populate_existing=True)
        assert clip is not None  # uploaded above
        moment = moments.MomentData(start, end, tag.value, note, audience)
        moments.add_moment(session, clip, moment, seat=_seat(users[author], child))
    session.commit()
    for key, start, end, title, audience in FRAGMENTS:
        recording = session.get(Clip, clips[key].id, populate_existing=True)
        assert recording is not None  # uploaded above
        cut = fragments.FragmentData(start, end, title, audience)
        fragment = fragments.create_fragment(session, recording, cut, seat=_seat(coach, child))
        session.commit()
        if cutting.cut(fragment.id) is not ClipState.READY:
            raise RuntimeError(f"the demo fragment {title!r} did not become ready")


def _synthesise(path: Path, spec: Recording) -> Path:
    """A test picture with a tone, as a phone would send it (H.264/AAC MP4)."""
    # Not every test source has a duration option (mandelbrot has none): -t bounds each input.
    seconds = str(spec.seconds)
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            *("-hide_banner", "-loglevel", "error", "-y"),
            *("-t", seconds, "-f", "lavfi", "-i", f"{spec.picture}:size={SIZE}"),
            *("-t", seconds, "-f", "lavfi", "-i", f"sine=frequency={spec.tone_hz}"),
            *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"),
            *("-c:a", "aac", "-shortest", str(path)),
        ],
        check=True,
    )
    return path


def _upload(session: DbSession, child: Child, uploader: User, spec: Recording, path: Path) -> Clip:
    """The clip as a completed upload leaves it: the original stored, waiting for the worker."""
    with path.open("rb") as body:
        stored = storage.store_stream(
            body, folder="clips/originals", suffix=".mp4", length=path.stat().st_size
        )
    storage.delete_on_rollback(session, stored.key)
    clip = Clip(
        child_id=child.id,
        source=spec.source,
        uploader_id=uploader.id,
        title=spec.title,
        notes=spec.notes,
        recorded_on=local_date() - timedelta(days=spec.days_ago),
        audience=spec.audience,
        shows_others=spec.shows_others,
        state=ClipState.UPLOADED,
        original_key=stored.key,
        original_name=f"{spec.key}.mp4",
        original_size=stored.size,
        original_sha256=stored.sha256,
    )
    session.add(clip)
    session.flush()
    audit.record(
        session, "clip_uploaded", actor=uploader, child=child, obj=clip, data={"demo": True}
    )
    session.commit()
    return clip


def _seat(user: User, child: Child) -> policy.Seat:
    """``user``'s seat in the demo child's circle (the demo made them a member)."""
    seat = policy.seat_for(user, child)
    if seat is None:
        raise RuntimeError(f"{user.name} is not in the circle of the demo child")
    return seat
