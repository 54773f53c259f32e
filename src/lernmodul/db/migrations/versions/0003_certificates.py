"""certificates: issued certificates and the verify page's lookup counters

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_CURRENT = sa.text("superseded_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "verification_throttles",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("hits", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_verification_throttles")),
    )
    with op.batch_alter_table("verification_throttles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_verification_throttles_window_started_at"), ["window_started_at"], unique=False
        )

    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.String(length=100), nullable=False),
        sa.Column("course_version_id", sa.Integer(), nullable=False),
        sa.Column("course_title", sa.Text(), nullable=False),
        sa.Column("course_version", sa.String(length=50), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("certificate_title", sa.Text(), nullable=False),
        sa.Column("signatory", sa.Text(), nullable=False),
        sa.Column("participant_name", sa.String(length=200), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("verify_url", sa.String(length=500), nullable=False),
        sa.Column("credential", sa.JSON(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("superseded_reason", sa.String(length=32), nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_version_id"],
            ["course_versions.id"],
            name=op.f("fk_certificates_course_version_id_course_versions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolments.id"],
            name=op.f("fk_certificates_enrolment_id_enrolments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"], ["users.id"], name=op.f("fk_certificates_revoked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["certificates.id"],
            name=op.f("fk_certificates_superseded_by_id_certificates"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_certificates_user_id_users"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("code", name=op.f("uq_certificates_code")),
    )
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certificates_course_id"), ["course_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_certificates_course_version_id"), ["course_version_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_certificates_user_id"), ["user_id"], unique=False)
        # one current (not superseded) certificate per enrolment
        batch_op.create_index(
            "uq_certificates_one_current",
            ["enrolment_id"],
            unique=True,
            sqlite_where=ONE_CURRENT,
            postgresql_where=ONE_CURRENT,
        )


def downgrade() -> None:
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_certificates_one_current", sqlite_where=ONE_CURRENT, postgresql_where=ONE_CURRENT
        )
        batch_op.drop_index(batch_op.f("ix_certificates_user_id"))
        batch_op.drop_index(batch_op.f("ix_certificates_course_version_id"))
        batch_op.drop_index(batch_op.f("ix_certificates_course_id"))

    op.drop_table("certificates")
    with op.batch_alter_table("verification_throttles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verification_throttles_window_started_at"))

    op.drop_table("verification_throttles")
