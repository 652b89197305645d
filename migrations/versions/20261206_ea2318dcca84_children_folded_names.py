"""A child's name stored folded beside itself (lower case, no accents), for the search by name

Revision ID: ea2318dcca84
Revises: b7e1c4d2a9f3
Create Date: 2026-12-06 00:40:00.000000+00:00

``children.name_folded`` holds ``app.core.search.fold`` of ``children.name``: a search by name
compares it with the folded search, and no longer folds every child's name in SQL (a Python
function on SQLite, called once per row). The column is added NOT NULL with an empty default
and filled a batch of rows at a time, in place: rebuilding the table on SQLite would lose its
AUTOINCREMENT and the highest id handed out, which an erased child keeps. Down drops it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.core.search import fold

revision: str = "ea2318dcca84"
down_revision: str | None = "b7e1c4d2a9f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500
children = sa.table(
    "children", sa.column("id", sa.Integer), sa.column("name"), sa.column("name_folded")
)


def upgrade() -> None:
    op.add_column(
        "children", sa.Column("name_folded", sa.Text(), nullable=False, server_default="")
    )
    conn = op.get_bind()
    last = 0
    while True:
        batch = conn.execute(
            sa.select(children.c.id, children.c.name)
            .where(children.c.id > last)
            .order_by(children.c.id)
            .limit(BATCH)
        ).all()
        if not batch:
            break
        conn.execute(
            children.update()
            .where(children.c.id == sa.bindparam("child_id"))
            .values(name_folded=sa.bindparam("folded")),
            [{"child_id": id_, "folded": fold(name) or ""} for id_, name in batch],
        )
        last = batch[-1].id


def downgrade() -> None:
    op.drop_column("children", "name_folded")
