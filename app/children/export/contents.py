"""What the export writes about itself: records.json (each source's section under its key),
schema.json (the JSON Schema of records.json) and README.txt in the requester's language."""

from __future__ import annotations

from typing import Any

from app.children.export import archive, shapes, sources
from app.circle.policy import Seat
from app.core.db import utcnow
from app.core.i18n import gettext as _


def texts_of(seat: Seat, sections: list[sources.Section]) -> dict[str, str]:
    """README.txt, schema.json and records.json, by their names in the zip (the caller forces
    the requester's language)."""
    return {
        "README.txt": readme(seat, sections),
        "schema.json": archive.as_json(schema_of(sections)),
        "records.json": archive.as_json(records_of(seat, sections)),
    }


def records_of(seat: Seat, sections: list[sources.Section]) -> dict[str, Any]:
    """The content of records.json: a header, then each section under its key."""
    return {
        "format": "beeldbrug-child-export",
        "version": archive.FORMAT_VERSION,
        "exported_at": shapes.when(utcnow()),
        "requested_by": {"name": seat.user.name, "role": seat.role.value},
        **{section.key: section.data for section in sections},
    }


def schema_of(sections: list[sources.Section]) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of records.json."""
    properties: dict[str, Any] = {
        "format": {"const": "beeldbrug-child-export"},
        "version": {"const": archive.FORMAT_VERSION},
        "exported_at": shapes.INSTANT,
        "requested_by": shapes.obj(
            "Who asked for this export, and their role in the child's circle.",
            name=shapes.STR,
            role=shapes.STR,
        ),
        **{section.key: section.schema for section in sections},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Beeldbrug: export of one child's data (records.json)",
        "description": "Everything about one child that the requester may see, at the moment "
        "of the export. Times are ISO 8601 in UTC; paths point at files in this zip.",
        "type": "object",
        "properties": properties,
        "required": sorted(properties),
    }


def readme(seat: Seat, sections: list[sources.Section]) -> str:
    """README.txt in the requester's language (the caller forces the locale)."""
    lines = [
        _("Export of the data of %(name)s", name=seat.child.name),
        "",
        _(
            "This archive holds everything about %(name)s that %(requester)s could see in "
            "Beeldbrug on %(date)s.",
            name=seat.child.name,
            requester=seat.user.name,
            date=utcnow().date().isoformat(),
        ),
        "",
        _("What is in it:"),
        "- records.json: " + _("the records, readable by people and programs."),
        "- schema.json: " + _("a description of records.json (JSON Schema)."),
        *("- " + section.readme for section in sections if section.readme),
        "",
        _(
            "The PDFs carry the school's digital seal; any change to them breaks the seal. "
            "Keep this archive safe: it holds personal data of a child."
        ),
    ]
    return "\n".join(lines) + "\n"
