"""Two versions of a plan side by side, part by part: which lines stayed, changed, came or
went (difflib on the lines of each part of the two snapshots)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any

from app.core.i18n import format_date
from app.plans import labels
from app.plans.models import Part


@dataclass(frozen=True)
class Row:
    """One line of a part in the older version (left) and the newer (right); ``change`` is
    "same", "changed", "added" or "removed"."""

    left: str | None
    right: str | None
    change: str


@dataclass(frozen=True)
class Section:
    title: str
    rows: tuple[Row, ...]

    @property
    def changed(self) -> bool:
        return any(row.change != "same" for row in self.rows)


def _date(value: str | None) -> str:
    from datetime import date

    return format_date(date.fromisoformat(value), "long") if value else ""


def _item_line(item: dict[str, Any]) -> str:
    line = item["text"]
    if item.get("target_on"):
        line += f" — {_date(item['target_on'])}"
    if item.get("who"):
        line += f" ({item['who']})"
    return str(line)


def _sections(data: dict[str, Any]) -> list[tuple[str, list[str]]]:
    def lines(*values: str | None) -> list[str]:
        return [v for value in values if value for v in value.splitlines() if v.strip()]

    found: list[tuple[str, list[str]]] = [
        (str(labels.PLAN_DATE), lines(_date(data["plan_date"]))),
        (str(labels.EXIT_PROFILE), lines(data["exit_profile"], data["exit_reasoning"])),
    ]
    for part in Part:
        items = [_item_line(i) for i in data["items"] if i["part"] == part.value]
        found.append((str(labels.PART_LABELS[part]), items))
    found += [
        (str(labels.DEVIATION), lines(data["deviation"])),
        (str(labels.EVALUATION), lines(data["evaluation"])),
        (
            str(labels.PARENTS_VIEWS),
            [f"{v['name']}: {v['text']}" for v in data["parents_views"]],
        ),
        (str(labels.PUPIL_VIEW), lines(data["pupil_view"])),
        (str(labels.CONSULTED_ON), lines(_date(data["consulted_on"]))),
    ]
    return found


def _rows(old: list[str], new: list[str]) -> tuple[Row, ...]:
    rows: list[Row] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += [Row(line, line, "same") for line in old[i1:i2]]
        elif tag == "delete":
            rows += [Row(line, None, "removed") for line in old[i1:i2]]
        elif tag == "insert":
            rows += [Row(None, line, "added") for line in new[j1:j2]]
        else:
            for left, right in zip_longest(old[i1:i2], new[j1:j2]):
                change = (
                    "changed"
                    if left is not None and right is not None
                    else ("removed" if right is None else "added")
                )
                rows.append(Row(left, right, change))
    return tuple(rows)


def side_by_side(older: dict[str, Any], newer: dict[str, Any]) -> list[Section]:
    """The parts of two snapshots (:mod:`.snapshot`) side by side, in the plan's order."""
    return [
        Section(title, _rows(old, new))
        for (title, old), (_, new) in zip(_sections(older), _sections(newer), strict=True)
    ]
