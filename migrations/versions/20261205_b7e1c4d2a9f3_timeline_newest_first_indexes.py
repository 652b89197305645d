"""The child's agreements and their reviews indexed newest first, for the child's timeline:
it reads a page's worth of each straight from the index, and counts them from it

Revision ID: b7e1c4d2a9f3
Revises: 8d4b2f6a1c37
Create Date: 2026-12-05 22:25:00.000000+00:00

Two new indexes; no table changes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b7e1c4d2a9f3"
down_revision: str | None = "8d4b2f6a1c37"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_agreements_child_created", "agreements", ["child_id", "created_at"], unique=False
    )
    op.create_index(
        "ix_agreement_reviews_child_reviewed",
        "agreement_reviews",
        ["child_id", "reviewed_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_agreement_reviews_child_reviewed", table_name="agreement_reviews")
    op.drop_index("ix_agreements_child_created", table_name="agreements")
