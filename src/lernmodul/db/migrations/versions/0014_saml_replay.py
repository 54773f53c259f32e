"""SAML replay protection: ids of accepted responses and assertions until they expire

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "saml_seen_messages",
        sa.Column("message_id", sa.String(length=300), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_saml_seen_messages")),
    )
    with op.batch_alter_table("saml_seen_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saml_seen_messages_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("saml_seen_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saml_seen_messages_expires_at"))
    op.drop_table("saml_seen_messages")
