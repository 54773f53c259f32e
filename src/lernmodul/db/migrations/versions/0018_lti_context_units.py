"""LTI: per platform, which LMS context (course) puts a launched person into which org unit

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("lti_platforms") as batch:
        batch.add_column(sa.Column("context_units", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("lti_platforms") as batch:
        batch.drop_column("context_units")
