"""The small pieces the export's sources build with: ISO times, file-name-safe names, and
JSON Schema blocks (draft 2020-12) for describing records.json."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any


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
