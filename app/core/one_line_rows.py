"""Stored one-line values put on one line in bulk: the data step of the migrations that apply
:func:`app.core.text.single_line` to rows typed before the forms refused what it removes.

Plain SQL on ad-hoc table descriptions, a batch of rows at a time, on SQLite and PostgreSQL;
only rows whose value changes are written, so a second run changes nothing. Each function
returns the ids of the rows it changed, for the audit event the migration writes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from app.core.text import single_line

BATCH = 500

#: Each table with the one-line columns people type into it (no unique constraint on them).
COLUMNS: dict[str, tuple[str, ...]] = {
    "users": ("name",),
    "schools": ("name", "city"),
    "children": ("name", "group_name"),
    "invitations": ("name",),
    "clips": ("title",),
    "clip_uploads": ("title",),
}


def _batches(conn: sa.Connection, table: sa.TableClause) -> Iterator[Sequence[sa.Row[Any]]]:
    """Every row of ``table``, in batches by ascending id (each query reads one batch)."""
    after = 0
    while True:
        rows = conn.execute(
            sa.select(table).where(table.c.id > after).order_by(table.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        yield rows
        after = rows[-1].id


def clean_table(conn: sa.Connection, name: str, columns: tuple[str, ...]) -> list[int]:
    """Put ``columns`` of every row of table ``name`` on one line; the ids of rows changed."""
    table = sa.table(name, sa.column("id"), *(sa.column(c) for c in columns))
    update = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"))
        .values({c: sa.bindparam(f"new_{c}") for c in columns})
    )
    changed: list[int] = []
    for rows in _batches(conn, table):
        writes = []
        for row in rows:
            old = {c: row._mapping[c] for c in columns}
            new = {c: None if v is None else single_line(v) for c, v in old.items()}
            if new != old:
                writes.append({"row_id": row.id, **{f"new_{c}": v for c, v in new.items()}})
        if writes:
            conn.execute(update, writes)
            changed.extend(w["row_id"] for w in writes)
    return changed


def clean_moment_tags(conn: sa.Connection) -> list[int]:
    """Put every moment tag's label on one line; the ids of the tags changed or merged.

    A label is unique within its school: one that becomes equal to another is the same label
    to the eye (a browser shows a line break in it as a space), so the two are merged and its
    moments move over.
    """
    tags = sa.table("moment_tags", sa.column("id"), sa.column("school_id"), sa.column("label"))
    moments = sa.table("moments", sa.column("custom_tag_id"))
    changed: list[int] = []
    for rows in _batches(conn, tags):
        for row in rows:
            label = single_line(row.label)
            if label == row.label:
                continue
            same = conn.scalar(
                sa.select(tags.c.id).where(
                    tags.c.school_id == row.school_id, tags.c.label == label, tags.c.id != row.id
                )
            )
            if same is None:
                conn.execute(sa.update(tags).where(tags.c.id == row.id).values(label=label))
            else:
                conn.execute(
                    sa.update(moments)
                    .where(moments.c.custom_tag_id == row.id)
                    .values(custom_tag_id=same)
                )
                conn.execute(sa.delete(tags).where(tags.c.id == row.id))
            changed.append(row.id)
    return changed


def clean_all(conn: sa.Connection) -> dict[str, list[int]]:
    """Every one-line value of :data:`COLUMNS` and every moment tag; changed ids by table."""
    changed = {name: clean_table(conn, name, columns) for name, columns in COLUMNS.items()}
    changed["moment_tags"] = clean_moment_tags(conn)
    return {name: ids for name, ids in changed.items() if ids}
