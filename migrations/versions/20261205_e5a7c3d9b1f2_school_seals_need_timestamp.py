"""School setting: seals must carry a trusted time

Revision ID: e5a7c3d9b1f2
Revises: 6c1f0e2a9b47
Create Date: 2026-12-05 00:30:00.000000+00:00

Existing schools start without the requirement (their admin turns it on).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5a7c3d9b1f2"
down_revision: str | None = "6c1f0e2a9b47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "seals_need_timestamp",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.drop_column("seals_need_timestamp")
