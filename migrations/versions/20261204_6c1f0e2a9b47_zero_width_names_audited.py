"""Zero-width spaces out of stored names; the cleaning of names written to the audit log

Revision ID: 6c1f0e2a9b47
Revises: c4f1a9e7d3b5
Create Date: 2026-12-04 23:40:00.000000+00:00

The one-line rule (``app.core.text``) now also drops zero-width spaces (U+200B, U+2060,
U+FEFF) and keeps the joiners (U+200C, U+200D). The same columns as revision d13adf579f61 are
put on one line again (``app.core.one_line_rows``), and each table whose rows changed gets an
audit event ``names.cleaned`` naming the revision and the ids of the rows changed (no names:
the log holds nothing personal).

Revision d13adf579f61 wrote no audit event. Which rows it changed was not kept, so on a
database that holds accounts it ran over, one ``names.cleaned`` event records that it ran
and that its rows were not recorded. A database without accounts gets no event.

Idempotent. Down changes nothing: the cleaned values are valid before this revision, and the
audit log only grows.
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.core.audit import append_without_orm
from app.core.one_line_rows import clean_all

revision: str = "6c1f0e2a9b47"
down_revision: str | None = "c4f1a9e7d3b5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

ACTION = "names.cleaned"
EARLIER = "d13adf579f61"


def _earlier_is_recorded(conn: sa.Connection) -> bool:
    events = sa.table("audit_events", sa.column("action"), sa.column("data"))
    rows = conn.execute(sa.select(events.c.data).where(events.c.action == ACTION)).scalars()
    return any(f'"revision":"{EARLIER}"' in (data or "") for data in rows)


def upgrade() -> None:
    conn = op.get_bind()
    users = sa.table("users", sa.column("id"))
    if conn.scalar(sa.select(users.c.id).limit(1)) is not None and not _earlier_is_recorded(conn):
        append_without_orm(conn, ACTION, {"revision": EARLIER, "rows": "not recorded"})
    for name, ids in clean_all(conn).items():
        log.info("put %d row(s) of %s on one line", len(ids), name)
        append_without_orm(conn, ACTION, {"revision": revision, "table": name, "rows": ids})


def downgrade() -> None:
    """Nothing to undo (see the module's docstring)."""
