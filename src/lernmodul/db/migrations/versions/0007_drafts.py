"""course drafts and their images (the trainers' editor)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "course_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.String(length=100), nullable=False),
        sa.Column("base_version_id", sa.Integer(), nullable=True),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["base_version_id"], ["course_versions.id"],
                                name=op.f("fk_course_drafts_base_version_id_course_versions"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_course_drafts_created_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"],
                                name=op.f("fk_course_drafts_updated_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_drafts")),
        sa.UniqueConstraint("course_id", name=op.f("uq_course_drafts_course_id")),
    )
    with op.batch_alter_table("course_drafts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_course_drafts_base_version_id"), ["base_version_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_course_drafts_created_by_id"), ["created_by_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_course_drafts_updated_by_id"), ["updated_by_id"],
                              unique=False)
    op.create_table(
        "draft_media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["draft_id"], ["course_drafts.id"],
                                name=op.f("fk_draft_media_draft_id_course_drafts"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draft_media")),
        sa.UniqueConstraint("draft_id", "path", name=op.f("uq_draft_media_draft_id_path")),
    )
    with op.batch_alter_table("draft_media", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_draft_media_draft_id"), ["draft_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("draft_media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_draft_media_draft_id"))
    op.drop_table("draft_media")
    with op.batch_alter_table("course_drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_drafts_updated_by_id"))
        batch_op.drop_index(batch_op.f("ix_course_drafts_created_by_id"))
        batch_op.drop_index(batch_op.f("ix_course_drafts_base_version_id"))
    op.drop_table("course_drafts")
