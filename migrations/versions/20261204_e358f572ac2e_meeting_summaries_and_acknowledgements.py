"""Meeting summaries (one per finalising and addendum) and the parents' acknowledgements

Revision ID: e358f572ac2e
Revises: efb13105181c
Create Date: 2026-12-04 23:52:08.950447+00:00

New tables only: ``meeting_summaries`` (what a finalised meeting saw, needs, and who came;
addenda name the summary they replace) and ``summary_acknowledgements`` (signed records).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e358f572ac2e"
down_revision: str | None = "efb13105181c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meeting_summaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("seen", sa.Text(), nullable=False),
        sa.Column("need", sa.Text(), nullable=False),
        sa.Column("attendees_json", sa.Text(), nullable=False),
        sa.Column("addendum", sa.Text(), nullable=False),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_meeting_summaries_child_id_children"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_meeting_summaries_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_summaries_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["replaces_id"],
            ["meeting_summaries.id"],
            name=op.f("fk_meeting_summaries_replaces_id_meeting_summaries"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_summaries")),
        sa.UniqueConstraint(
            "meeting_id", "number", name=op.f("uq_meeting_summaries_meeting_id_number")
        ),
    )
    with op.batch_alter_table("meeting_summaries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_summaries_meeting_id"), ["meeting_id"], unique=False
        )

    op.create_table(
        "summary_acknowledgements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("summary_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("summary_sha256", sa.String(length=64), nullable=False),
        sa.Column("agrees", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("text_shown", sa.Text(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("typed_name", sa.String(length=120), nullable=False),
        sa.Column(
            "signature_method",
            sa.Enum(
                "drawn", "typed", "confirmed", name="signaturemethod", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("signature_png", sa.LargeBinary(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.Column(
            "sign_in_method",
            sa.Enum(
                "password", "invitation", "reset", name="signinmethod", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("form_nonce", sa.String(length=64), nullable=False),
        sa.Column("signer_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_summary_acknowledgements_child_id_children"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_summary_acknowledgements_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["signer_id"],
            ["users.id"],
            name=op.f("fk_summary_acknowledgements_signer_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["summary_id"],
            ["meeting_summaries.id"],
            name=op.f("fk_summary_acknowledgements_summary_id_meeting_summaries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_summary_acknowledgements")),
        sa.UniqueConstraint("form_nonce", name=op.f("uq_summary_acknowledgements_form_nonce")),
    )
    with op.batch_alter_table("summary_acknowledgements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_summary_acknowledgements_child_id"), ["child_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_summary_acknowledgements_signer_id"), ["signer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_summary_acknowledgements_summary_id"), ["summary_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("summary_acknowledgements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_summary_acknowledgements_summary_id"))
        batch_op.drop_index(batch_op.f("ix_summary_acknowledgements_signer_id"))
        batch_op.drop_index(batch_op.f("ix_summary_acknowledgements_child_id"))

    op.drop_table("summary_acknowledgements")
    with op.batch_alter_table("meeting_summaries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_summaries_meeting_id"))

    op.drop_table("meeting_summaries")
