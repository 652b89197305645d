"""Names, titles and labels stored before the forms refused control characters: put on one line

Revision ID: d13adf579f61
Revises: 145dfc24b8ec
Create Date: 2026-11-30 07:05:00.000000+00:00

Every run of whitespace and control characters (tabs, line breaks, Unicode's line and
paragraph separators, NUL, escape …) in the one-line values people type becomes one space, and
the ends are stripped: ``app.core.text.single_line``, the rule the forms check and mail applies.

Cleaned: ``users.name``; ``schools.name`` and ``city``; ``children.name`` and ``group_name``;
``invitations.name``; ``clips.title`` and ``clip_uploads.title``; ``moment_tags.label`` (a
label that becomes equal to another of its school's is merged into it: its moments move over).

Left as stored, on purpose: signed consent records (``typed_name`` is evidence, as signed),
issued documents, the audit tables and consent texts (published versions are evidence; a
draft's editor is asked to mend it by the form); e-mail addresses (keys of accounts and
invitations, checked on entry); uploaded file names (made harmless when uploaded, not typed);
free text of several lines (guiding questions, notes, moment texts); hashes, tokens, storage
keys and codes.

Idempotent: a clean value stays as it is, and only rows whose value changes are written.
Plain SQL on ad-hoc table descriptions, a batch of rows at a time, on SQLite and PostgreSQL.
"""

import logging
from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from alembic import op

from app.core.text import single_line

revision: str = "d13adf579f61"
down_revision: str | None = "145dfc24b8ec"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

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


def _batches(conn: sa.Connection, table: sa.TableClause) -> Iterator[Sequence[sa.Row]]:
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


def _clean_table(conn: sa.Connection, name: str, columns: tuple[str, ...]) -> int:
    table = sa.table(name, sa.column("id"), *(sa.column(c) for c in columns))
    update = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"))
        .values({c: sa.bindparam(f"new_{c}") for c in columns})
    )
    changed = 0
    for rows in _batches(conn, table):
        writes = []
        for row in rows:
            old = {c: row._mapping[c] for c in columns}
            new = {c: None if v is None else single_line(v) for c, v in old.items()}
            if new != old:
                writes.append({"row_id": row.id, **{f"new_{c}": v for c, v in new.items()}})
        if writes:
            conn.execute(update, writes)
            changed += len(writes)
    return changed


def _clean_moment_tags(conn: sa.Connection) -> int:
    # A label is unique within its school: one that becomes equal to another is the same
    # label to the eye (a browser shows a line break in it as a space), so the two are merged.
    tags = sa.table("moment_tags", sa.column("id"), sa.column("school_id"), sa.column("label"))
    moments = sa.table("moments", sa.column("custom_tag_id"))
    changed = 0
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
            changed += 1
    return changed


def upgrade() -> None:
    conn = op.get_bind()
    for name, columns in COLUMNS.items():
        changed = _clean_table(conn, name, columns)
        if changed:
            log.info("put %d row(s) of %s on one line", changed, name)
    changed = _clean_moment_tags(conn)
    if changed:
        log.info("put %d row(s) of moment_tags on one line", changed)


def downgrade() -> None:
    """Nothing to undo: the values as they were are not kept (keeping them would keep what the
    cleaning removes), and the cleaned ones are valid in the schema before this revision."""
