"""Consent: versioned templates per school, signed records, consent-age notice on children

Revision ID: 5e1f0a7c9d22
Revises: c3a8e1f2b4d5
Create Date: 2026-11-23 22:19:21.851259+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e1f0a7c9d22"
down_revision: str | None = "c3a8e1f2b4d5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consent_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("retention_months", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_consent_templates_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["users.id"],
            name=op.f("fk_consent_templates_published_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.id"],
            name=op.f("fk_consent_templates_school_id_schools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_templates")),
        sa.UniqueConstraint(
            "school_id", "version", name=op.f("uq_consent_templates_school_id_version")
        ),
    )
    with op.batch_alter_table("consent_templates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consent_templates_school_id"), ["school_id"], unique=False
        )

    op.create_table(
        "consent_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("signer_id", sa.Integer(), nullable=True),
        sa.Column("signer_role", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("text_shown", sa.Text(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("withdrawn", sa.JSON(), nullable=False),
        sa.Column("typed_name", sa.String(length=120), nullable=False),
        sa.Column("signature_method", sa.String(length=20), nullable=False),
        sa.Column("signature_png", sa.LargeBinary(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.Column("sign_in_method", sa.String(length=20), nullable=False),
        sa.Column("form_nonce", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_consent_records_child_id_children"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["signer_id"],
            ["users.id"],
            name=op.f("fk_consent_records_signer_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["consent_templates.id"],
            name=op.f("fk_consent_records_template_id_consent_templates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_records")),
        sa.UniqueConstraint("form_nonce", name=op.f("uq_consent_records_form_nonce")),
    )
    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consent_records_child_signer", ["child_id", "signer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_consent_records_signer_id"), ["signer_id"], unique=False
        )

    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("consent_age_notified_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.drop_column("consent_age_notified_at")

    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_records_signer_id"))
        batch_op.drop_index("ix_consent_records_child_signer")

    op.drop_table("consent_records")
    with op.batch_alter_table("consent_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_templates_school_id"))

    op.drop_table("consent_templates")
