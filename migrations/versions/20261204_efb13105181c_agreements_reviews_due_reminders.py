"""Agreements made in meetings, their reviews in later meetings, and due reminders

Revision ID: efb13105181c
Revises: e5a7c3d9b1f2
Create Date: 2026-12-04 23:42:47.943201+00:00

New tables only: ``agreements`` (with a ``version`` column that refuses stale saves),
``agreement_reviews`` (one per agreement and meeting) and ``agreement_reminders`` (the one
mail an owner gets when an agreement falls due).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "efb13105181c"
down_revision: str | None = "e5a7c3d9b1f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agreements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "party",
            sa.Enum("school", "home", "coach", name="party", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "done",
                "partly",
                "not_done",
                "dropped",
                name="agreementstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_agreements_child_id_children"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_agreements_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_agreements_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_agreements_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreements")),
    )
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.create_index("ix_agreements_child_status", ["child_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_agreements_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index("ix_agreements_owner_status", ["owner_id", "status"], unique=False)

    op.create_table(
        "agreement_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_reminders_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_agreement_reminders_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_reminders")),
        sa.UniqueConstraint("agreement_id", name=op.f("uq_agreement_reminders_agreement_id")),
    )
    op.create_table(
        "agreement_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "done",
                "partly",
                "not_done",
                "dropped",
                name="agreementstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_reviews_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_agreement_reviews_child_id_children"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_agreement_reviews_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["users.id"],
            name=op.f("fk_agreement_reviews_reviewed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_reviews")),
        sa.UniqueConstraint(
            "agreement_id", "meeting_id", name=op.f("uq_agreement_reviews_agreement_id_meeting_id")
        ),
    )
    with op.batch_alter_table("agreement_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agreement_reviews_agreement_id"), ["agreement_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_agreement_reviews_meeting_id"), ["meeting_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("agreement_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_reviews_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_agreement_reviews_agreement_id"))

    op.drop_table("agreement_reviews")
    op.drop_table("agreement_reminders")
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_index("ix_agreements_owner_status")
        batch_op.drop_index(batch_op.f("ix_agreements_meeting_id"))
        batch_op.drop_index("ix_agreements_child_status")

    op.drop_table("agreements")
