"""What an upload says about itself (tus ``Upload-Metadata``), and how an upload is refused.

The uploader's details are read and held to the forms' rules here; :mod:`.upload` uses them.
"""

from __future__ import annotations

import base64
import binascii
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from app.circle.audience import Audience
from app.core.db import utcnow
from app.core.errors import RefusedError
from app.core.i18n import lazy_gettext as _l
from app.core.text import has_control_characters, without_control_characters

NAME_MAX = 120  # characters of the original file name kept (the column holds 255)
TITLE_MAX = 160


class UploadRefusedError(RefusedError):
    """A refused upload; ``status`` is the HTTP status the tus answer carries."""

    def __init__(self, message: Any, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


#: What the uploader reads when the server's disk is full: not their file's fault.
DISK_FULL_MESSAGE = _l(
    "The school's Beeldbrug server has no room left to store recordings. This is not a "
    "problem with your file. Nothing of it was kept; please tell the school, and try again "
    "later."
)


class DiskFullError(UploadRefusedError):
    """The server's disk (or quota) is full: 507 Insufficient Storage. The partial file is
    already gone; the caller drops the row with :func:`abandon`."""

    def __init__(self) -> None:
        super().__init__(DISK_FULL_MESSAGE, status=507)


@dataclass(frozen=True)
class UploadDetails:
    """What the uploader said about the recording (tus ``Upload-Metadata``)."""

    title: str
    recorded_on: date | None
    audience: Audience | None
    shows_others: bool
    filename: str


def parse_metadata(header: str | None) -> dict[str, str]:
    """Decode tus ``Upload-Metadata`` (``key base64,key base64``). Raises UploadRefusedError."""
    values: dict[str, str] = {}
    for pair in (header or "").split(","):
        pair = pair.strip()
        if not pair:
            continue
        key, _sep, encoded = pair.partition(" ")
        try:
            values[key] = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError) as error:
            raise UploadRefusedError(_l("The upload's details could not be read.")) from error
    return values


def sanitise_filename(name: str) -> str:
    """The original file name, made harmless: no folders, no control characters, capped."""
    name = unicodedata.normalize("NFC", name or "")
    name = without_control_characters(name)
    name = PureWindowsPath(PurePosixPath(name).name).name  # drop both kinds of folder
    name = name.strip().lstrip(".").strip()
    if len(name) > NAME_MAX:
        stem, suffix = Path(name).stem, Path(name).suffix[:10]
        name = stem[: NAME_MAX - len(suffix)] + suffix
    return name


def details_from(metadata: dict[str, str]) -> UploadDetails:
    """Read and check the uploader's details. Raises UploadRefusedError for bad values: a
    title that the forms' one-line rule refuses (line breaks, U+2028, direction overrides)
    or that is too long, a date that is no date or lies ahead, an unknown audience."""
    # The title is typed like any form's title: held to the forms' rule, before trimming
    # (as a form field sees it).
    if has_control_characters(metadata.get("title", "")):
        raise UploadRefusedError(
            _l("Write the title on one line, without line breaks or invisible characters.")
        )
    title = metadata.get("title", "").strip()
    filename = sanitise_filename(metadata.get("filename", ""))
    if len(title) > TITLE_MAX:
        raise UploadRefusedError(_l("The title can be at most 160 characters."))
    recorded_on = None
    if metadata.get("recorded_on"):
        try:
            recorded_on = date.fromisoformat(metadata["recorded_on"])
        except ValueError as error:
            raise UploadRefusedError(_l("The recording date is not a valid date.")) from error
        if recorded_on > utcnow().date() + timedelta(days=1):
            raise UploadRefusedError(_l("The recording date cannot be in the future."))
    audience = None
    if metadata.get("audience"):
        try:
            audience = Audience(metadata["audience"])
        except ValueError as error:
            raise UploadRefusedError(_l("Choose who may see the recording.")) from error
    shows_others = metadata.get("shows_others", "").lower() in {"1", "true", "yes", "on"}
    return UploadDetails(title, recorded_on, audience, shows_others, filename)
