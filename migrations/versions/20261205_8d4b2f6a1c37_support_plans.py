"""Support plans: versions (a draft, then versions sent to the parents), their items with the
need, agreement or moment each was adopted from, the parents' own views, and the coach's
reminders, and the parents' signed answers on the action part

Revision ID: 8d4b2f6a1c37
Revises: a9d3e6f1c2b8
Create Date: 2026-12-05 03:23:10.284309+00:00

Five new tables; nothing existing changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8d4b2f6a1c37"
down_revision: str | None = "a9d3e6f1c2b8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "plan_parent_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_plan_parent_views_author_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_plan_parent_views_child_id_children"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_parent_views")),
        sa.UniqueConstraint(
            "child_id", "author_id", name=op.f("uq_plan_parent_views_child_id_author_id")
        ),
    )
    op.create_table(
        "plan_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("plan_date", sa.Date(), nullable=False),
        sa.Column("exit_profile", sa.String(length=200), nullable=False),
        sa.Column("exit_reasoning", sa.Text(), nullable=False),
        sa.Column("deviation", sa.Text(), nullable=False),
        sa.Column("evaluation", sa.Text(), nullable=False),
        sa.Column("pupil_view", sa.Text(), nullable=False),
        sa.Column("consulted_on", sa.Date(), nullable=True),
        sa.Column("snapshot", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("edit_count", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_plan_versions_child_id_children"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_plan_versions_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["users.id"],
            name=op.f("fk_plan_versions_published_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_versions")),
        sa.UniqueConstraint("child_id", "version", name=op.f("uq_plan_versions_child_id_version")),
    )
    with op.batch_alter_table("plan_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_versions_child_id"), ["child_id"], unique=False)

    op.create_table(
        "plan_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_version_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "evaluation_due",
                "answer_waiting",
                name="reminderkind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_version_id"],
            ["plan_versions.id"],
            name=op.f("fk_plan_reminders_plan_version_id_plan_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_reminders")),
        sa.UniqueConstraint(
            "plan_version_id", "kind", name=op.f("uq_plan_reminders_plan_version_id_kind")
        ),
    )
    op.create_table(
        "plan_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_version_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column(
            "part",
            sa.Enum(
                "hindering",
                "supporting",
                "strength",
                "need",
                "goal",
                "at_school",
                "at_home",
                name="part",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("target_on", sa.Date(), nullable=True),
        sa.Column("who", sa.String(length=120), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=True),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column("moment_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_plan_items_agreement_id_agreements"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_plan_items_child_id_children"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["moment_id"],
            ["moments.id"],
            name=op.f("fk_plan_items_moment_id_moments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["need_id"],
            ["agenda_item_notes.id"],
            name=op.f("fk_plan_items_need_id_agenda_item_notes"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["plan_version_id"],
            ["plan_versions.id"],
            name=op.f("fk_plan_items_plan_version_id_plan_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_items")),
    )
    with op.batch_alter_table("plan_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_plan_items_version_part", ["plan_version_id", "part", "position"], unique=False
        )
    op.create_table(
        "plan_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_version_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("version_sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "signer_role",
            sa.Enum("guardian", "pupil", name="signerrole", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("agrees", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
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
                "password",
                "invitation",
                "reset",
                "password_totp",
                "password_recovery",
                "password_passkey",
                "passkey",
                name="signinmethod",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("form_nonce", sa.String(length=64), nullable=False),
        sa.Column("signer_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_plan_answers_child_id_children"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_version_id"],
            ["plan_versions.id"],
            name=op.f("fk_plan_answers_plan_version_id_plan_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["signer_id"],
            ["users.id"],
            name=op.f("fk_plan_answers_signer_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_answers")),
        sa.UniqueConstraint("form_nonce", name=op.f("uq_plan_answers_form_nonce")),
        sa.UniqueConstraint(
            "plan_version_id", "signer_id", name=op.f("uq_plan_answers_plan_version_id_signer_id")
        ),
    )
    with op.batch_alter_table("plan_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_answers_child_id"), ["child_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_plan_answers_plan_version_id"), ["plan_version_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_plan_answers_signer_id"), ["signer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("plan_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_answers_signer_id"))
        batch_op.drop_index(batch_op.f("ix_plan_answers_plan_version_id"))
        batch_op.drop_index(batch_op.f("ix_plan_answers_child_id"))

    op.drop_table("plan_answers")
    with op.batch_alter_table("plan_items", schema=None) as batch_op:
        batch_op.drop_index("ix_plan_items_version_part")

    op.drop_table("plan_items")
    op.drop_table("plan_reminders")
    with op.batch_alter_table("plan_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_versions_child_id"))

    op.drop_table("plan_versions")
    op.drop_table("plan_parent_views")
