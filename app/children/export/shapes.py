"""The small pieces the export's sources build with: a source's :class:`Section`, ISO times,
file-name-safe names, and JSON Schema blocks (draft 2020-12) for describing records.json."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.circle.policy import Seat
from app.core.db import DbSession


def when(value: datetime | date | None) -> str | None:
    """ISO 8601 (UTC for instants), or None."""
    return value.isoformat() if value is not None else None


def slug(text: str, limit: int = 40) -> str:
    """A file-name-safe form of ``text`` (ASCII letters, digits, dashes)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:limit] or "item"


STR = {"type": "string"}
NSTR = {"type": ["string", "null"]}
INT = {"type": "integer"}
NINT = {"type": ["integer", "null"]}
NUM = {"type": ["number", "null"]}
DATE = {"type": ["string", "null"], "format": "date"}
INSTANT = {"type": ["string", "null"], "format": "date-time"}


def obj(description: str, **properties: Any) -> dict[str, Any]:
    """An object whose ``properties`` every record carries."""
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": sorted(properties),
    }


def array_of(description: str, item: dict[str, Any]) -> dict[str, Any]:
    """A list of ``item``."""
    return {"type": "array", "description": description, "items": item}


def optional(schema: dict[str, Any], **properties: Any) -> dict[str, Any]:
    """``schema`` (an object) with ``properties`` that only some records carry."""
    return {**schema, "properties": {**schema["properties"], **properties}}


@dataclass(frozen=True)
class StoredEntry:
    """A stored file copied into the zip as it is: its path in the zip, its storage key."""

    name: str
    key: str


@dataclass
class Section:
    """One source's part of the export."""

    key: str  # its key in records.json
    data: Any  # JSON-ready: dicts, lists, strings, numbers, booleans, None
    schema: dict[str, Any]  # JSON Schema of ``data``
    files: list[StoredEntry] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # path in the zip → UTF-8 text
    #: README.txt's line about the section's files ("consent/: …"), in the requester's
    #: language (sources run with it forced); empty for a section without files.
    readme: str = ""


Source = Callable[[DbSession, Seat], Section]
