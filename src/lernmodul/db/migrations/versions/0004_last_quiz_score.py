"""unit progress keeps the last quiz score

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("unit_progress", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_quiz_points", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("last_quiz_max_points", sa.Float(), nullable=True))
    # fill them from the results already graded
    newest = (
        "FROM attempt_results r JOIN attempts a ON a.id = r.attempt_id "
        "WHERE a.enrolment_id = unit_progress.enrolment_id AND a.kind = 'quiz' "
        "AND a.unit_key = unit_progress.unit_id ORDER BY a.id DESC LIMIT 1"
    )
    op.execute(
        "UPDATE unit_progress SET "  # noqa: S608 (constant text, no input)  # nosec B608
        f"last_quiz_points = (SELECT r.points {newest}), "
        f"last_quiz_max_points = (SELECT r.max_points {newest})"
    )


def downgrade() -> None:
    with op.batch_alter_table("unit_progress", schema=None) as batch_op:
        batch_op.drop_column("last_quiz_max_points")
        batch_op.drop_column("last_quiz_points")
