"""School setting: staff must use a second factor

Revision ID: b8e2d4f6a1c3
Revises: 7a3c5e91b2d4
Create Date: 2026-12-04 23:30:00.000000+00:00

Existing schools start without the requirement (their admin turns it on).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b8e2d4f6a1c3"
down_revision: str | None = "7a3c5e91b2d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "staff_second_factor_required",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.drop_column("staff_second_factor_required")
