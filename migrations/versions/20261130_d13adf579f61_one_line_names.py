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
Plain SQL on ad-hoc table descriptions, a batch of rows at a time, on SQLite and PostgreSQL
(``app.core.one_line_rows``). It wrote no audit event: revision 6c1f0e2a9b47 records it.
"""

import logging
from collections.abc import Sequence

from alembic import op

from app.core.one_line_rows import COLUMNS, clean_moment_tags, clean_table

revision: str = "d13adf579f61"
down_revision: str | None = "145dfc24b8ec"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    conn = op.get_bind()
    for name, columns in COLUMNS.items():
        changed = len(clean_table(conn, name, columns))
        if changed:
            log.info("put %d row(s) of %s on one line", changed, name)
    changed = len(clean_moment_tags(conn))
    if changed:
        log.info("put %d row(s) of moment_tags on one line", changed)


def downgrade() -> None:
    """Nothing to undo: the values as they were are not kept (keeping them would keep what the
    cleaning removes), and the cleaned ones are valid in the schema before this revision."""
