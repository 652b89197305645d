"""Clips: recordings and fragments, moments and the school's own tags, uploads still arriving, tombstones

Revision ID: 145dfc24b8ec
Revises: 5e1f0a7c9d22
Create Date: 2026-11-30 04:19:38.565714+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "145dfc24b8ec"
down_revision: str | None = "5e1f0a7c9d22"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "moment_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.id"],
            name=op.f("fk_moment_tags_school_id_schools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moment_tags")),
        sa.UniqueConstraint("school_id", "label", name=op.f("uq_moment_tags_school_id_label")),
    )
    op.create_table(
        "clip_tombstones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("clip_id", sa.Integer(), nullable=False),
        sa.Column(
            "source",
            sa.Enum("school", "home", name="source", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("was_fragment", sa.Boolean(), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "retention",
                "withdrawal",
                "erasure",
                "deleted",
                name="destroyreason",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_clip_tombstones_child_id_children"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clip_tombstones")),
    )
    with op.batch_alter_table("clip_tombstones", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clip_tombstones_child_id"), ["child_id"], unique=False)

    op.create_table(
        "clips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column(
            "source",
            sa.Enum("school", "home", name="source", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("uploader_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=160), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=True),
        sa.Column(
            "audience",
            sa.Enum("private", "team", "circle", name="audience", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("shows_others", sa.Boolean(), nullable=False),
        sa.Column("others_cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("others_cleared_by_id", sa.Integer(), nullable=True),
        sa.Column("start_s", sa.Float(), nullable=True),
        sa.Column("end_s", sa.Float(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "uploaded",
                "processing",
                "ready",
                "failed",
                name="clipstate",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("failure", sa.String(length=200), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("original_key", sa.String(length=200), nullable=True),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("original_size", sa.BigInteger(), nullable=True),
        sa.Column("original_sha256", sa.String(length=64), nullable=True),
        sa.Column("web_key", sa.String(length=200), nullable=True),
        sa.Column("web_size", sa.BigInteger(), nullable=True),
        sa.Column("web_sha256", sa.String(length=64), nullable=True),
        sa.Column("poster_key", sa.String(length=200), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("destroy_after", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ready_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_clips_child_id_children"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["others_cleared_by_id"],
            ["users.id"],
            name=op.f("fk_clips_others_cleared_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["clips.id"], name=op.f("fk_clips_parent_id_clips"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["uploader_id"],
            ["users.id"],
            name=op.f("fk_clips_uploader_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clips")),
    )
    with op.batch_alter_table("clips", schema=None) as batch_op:
        batch_op.create_index("ix_clips_child_state", ["child_id", "state"], unique=False)
        batch_op.create_index("ix_clips_destroy_after", ["destroy_after"], unique=False)
        batch_op.create_index(batch_op.f("ix_clips_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_clips_uploader_id"), ["uploader_id"], unique=False)

    op.create_table(
        "clip_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.String(length=40), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("uploader_id", sa.Integer(), nullable=False),
        sa.Column(
            "source",
            sa.Enum("school", "home", name="source", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=160), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=True),
        sa.Column(
            "audience",
            sa.Enum("private", "team", "circle", name="audience", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("shows_others", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("clip_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_clip_uploads_child_id_children"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["clip_id"],
            ["clips.id"],
            name=op.f("fk_clip_uploads_clip_id_clips"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["uploader_id"],
            ["users.id"],
            name=op.f("fk_clip_uploads_uploader_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clip_uploads")),
        sa.UniqueConstraint("upload_id", name=op.f("uq_clip_uploads_upload_id")),
    )
    with op.batch_alter_table("clip_uploads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clip_uploads_child_id"), ["child_id"], unique=False)

    op.create_table(
        "moments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("clip_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("start_s", sa.Float(), nullable=False),
        sa.Column("end_s", sa.Float(), nullable=True),
        sa.Column(
            "tag",
            sa.Enum(
                "attentive",
                "encouraging",
                "receiving",
                "turn_taking",
                "guiding",
                "deepening",
                "success",
                "need",
                name="tag",
                native_enum=False,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("custom_tag_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "audience",
            sa.Enum("private", "team", "circle", name="audience", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_moments_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_moments_child_id_children"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["clip_id"], ["clips.id"], name=op.f("fk_moments_clip_id_clips"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["custom_tag_id"],
            ["moment_tags.id"],
            name=op.f("fk_moments_custom_tag_id_moment_tags"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moments")),
    )
    with op.batch_alter_table("moments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_moments_child_id"), ["child_id"], unique=False)
        batch_op.create_index("ix_moments_clip_start", ["clip_id", "start_s"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("moments", schema=None) as batch_op:
        batch_op.drop_index("ix_moments_clip_start")
        batch_op.drop_index(batch_op.f("ix_moments_child_id"))

    op.drop_table("moments")
    with op.batch_alter_table("clip_uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clip_uploads_child_id"))

    op.drop_table("clip_uploads")
    with op.batch_alter_table("clips", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clips_uploader_id"))
        batch_op.drop_index(batch_op.f("ix_clips_parent_id"))
        batch_op.drop_index("ix_clips_destroy_after")
        batch_op.drop_index("ix_clips_child_state")

    op.drop_table("clips")
    with op.batch_alter_table("clip_tombstones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clip_tombstones_child_id"))

    op.drop_table("clip_tombstones")
    op.drop_table("moment_tags")
