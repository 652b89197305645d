"""A child's exports: who asked, the state and progress of the zip, its file until downloaded

Revision ID: a9d3e6f1c2b8
Revises: 9c4e2b7a1d36
Create Date: 2026-12-05 04:00:00.000000+00:00

A new table ``child_exports``: one row per export of one child's data by one member of its
circle; the zip lives in storage under ``storage_key`` only while it waits for its download.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a9d3e6f1c2b8"
down_revision: str | None = "9c4e2b7a1d36"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "child_exports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "queued",
                "building",
                "ready",
                "downloaded",
                "expired",
                "failed",
                name="exportstate",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("failure", sa.String(length=60), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ready_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("downloaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_child_exports_child_id_children"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"],
            ["users.id"],
            name=op.f("fk_child_exports_requester_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child_exports")),
    )
    with op.batch_alter_table("child_exports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_child_exports_child_requester", ["child_id", "requester_id"], unique=False
        )
        batch_op.create_index(
            "ix_child_exports_state_expires", ["state", "expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("child_exports", schema=None) as batch_op:
        batch_op.drop_index("ix_child_exports_state_expires")
        batch_op.drop_index("ix_child_exports_child_requester")
    op.drop_table("child_exports")
