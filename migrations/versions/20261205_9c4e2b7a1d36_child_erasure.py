"""Erasure of a child: its tombstone, documents kept past it, ids never handed out again

Revision ID: 9c4e2b7a1d36
Revises: 5e2d8a7c1f90
Create Date: 2026-12-05 03:30:00.000000+00:00

``child_tombstones`` keeps what remains of an erased child (its id, school, when and by whom).
A document still within its retention term when its child is erased stays until
``documents.keep_until``. On SQLite the children table is rebuilt with AUTOINCREMENT, so an
erased child's id is never given to a new child (PostgreSQL's sequence never reuses one).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9c4e2b7a1d36"
down_revision: str | None = "5e2d8a7c1f90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _children_autoincrement(on: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "children", recreate="always", table_kwargs={"sqlite_autoincrement": on}
    ):
        pass


def upgrade() -> None:
    op.create_table(
        "child_tombstones",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["erased_by_id"],
            ["users.id"],
            name=op.f("fk_child_tombstones_erased_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_child_tombstones_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child_tombstones")),
    )
    with op.batch_alter_table("child_tombstones", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_child_tombstones_school_id"), ["school_id"], unique=False
        )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("keep_until", sa.Date(), nullable=True))
    _children_autoincrement(True)


def downgrade() -> None:
    _children_autoincrement(False)
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("keep_until")
    with op.batch_alter_table("child_tombstones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_child_tombstones_school_id"))
    op.drop_table("child_tombstones")
