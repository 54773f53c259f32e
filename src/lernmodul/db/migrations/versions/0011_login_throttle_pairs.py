"""login throttles remember their last failure (the accounts' growing delays and block)

Failed sign-ins now count per account and client address ("pair:…" rows, no schema change),
per address, and per account from anywhere with delays measured from the last failure.
Existing rows keep their counts; their last failure is unknown (NULL), so no account starts
out delayed or blocked.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.drop_column("last_failure_at")
