"""mandatory-course assignments; indexes of the HR overview

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.String(length=100), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_days", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("(due_at IS NULL) <> (due_days IS NULL)",
                           name=op.f("ck_assignments_one_due_rule")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_assignments_created_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_units.id"],
                                name=op.f("fk_assignments_org_unit_id_org_units"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
        sa.UniqueConstraint("course_id", "org_unit_id",
                            name=op.f("uq_assignments_course_id_org_unit_id")),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignments_course_id"), ["course_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignments_org_unit_id"), ["org_unit_id"],
                              unique=False)
    op.create_index("ix_users_name_id", "users", ["name", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_users_name_id", table_name="users")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignments_org_unit_id"))
        batch_op.drop_index(batch_op.f("ix_assignments_course_id"))
    op.drop_table("assignments")
