"""Meeting mode: what the group sees and what the child needs per agenda item; attendance

Revision ID: 5e2d8a7c1f90
Revises: e358f572ac2e
Create Date: 2026-12-05 00:05:00.000000+00:00

A new table ``agenda_item_notes`` (one row per agenda item, versioned so that a stale
autosave is refused) and a nullable ``attended`` column on ``meeting_invitees`` (not marked
until someone marks it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e2d8a7c1f90"
down_revision: str | None = "e358f572ac2e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agenda_item_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("seen", sa.Text(), nullable=False),
        sa.Column("need", sa.Text(), nullable=False),
        sa.Column("need_moment_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_agenda_item_notes_child_id_children"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["agenda_items.id"],
            name=op.f("fk_agenda_item_notes_item_id_agenda_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_agenda_item_notes_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["need_moment_id"],
            ["moments.id"],
            name=op.f("fk_agenda_item_notes_need_moment_id_moments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_agenda_item_notes_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_item_notes")),
        sa.UniqueConstraint("item_id", name=op.f("uq_agenda_item_notes_item_id")),
    )
    with op.batch_alter_table("agenda_item_notes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agenda_item_notes_meeting_id"), ["meeting_id"], unique=False
        )
    with op.batch_alter_table("meeting_invitees", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attended", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("meeting_invitees", schema=None) as batch_op:
        batch_op.drop_column("attended")
    with op.batch_alter_table("agenda_item_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agenda_item_notes_meeting_id"))
    op.drop_table("agenda_item_notes")
