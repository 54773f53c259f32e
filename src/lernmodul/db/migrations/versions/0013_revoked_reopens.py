"""a revoked certificate opens its course again: index of revoked current certificates, and
completions certified by a revoked certificate are undone

Since this revision revoking a certificate undoes the completion it certifies (progress
cleared, open attempts expired, the version chosen at the next start), so that HR sees
"revoked – to be retaken" and the learner takes the course again. Completions whose current
certificate was revoked before are undone here the same way. The partial index serves HR's
count of revoked courses (a handful of rows among all certificates). Only rows of
enrolments, unit_progress and attempts change, no table is copied: the HR summary triggers
stay and follow the changes. The downgrade drops the index; undone completions stay undone
(they were certified by a revoked certificate).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_certificates_revoked_current"
WHERE = "revoked_at IS NOT NULL AND superseded_at IS NULL"
# enrolments completed by the completion a revoked current certificate certifies
REVOKED_COMPLETIONS = (
    "SELECT e.id FROM enrolments e JOIN certificates c ON c.enrolment_id = e.id "
    "WHERE c.revoked_at IS NOT NULL AND c.superseded_at IS NULL "
    "AND e.completed_at = c.completed_at")


def upgrade() -> None:
    op.create_index(INDEX, "certificates", ["enrolment_id"],
                    sqlite_where=sa.text(WHERE), postgresql_where=sa.text(WHERE))
    ids = [row[0] for row in op.get_bind().execute(sa.text(REVOKED_COMPLETIONS))]
    for start in range(0, len(ids), 500):
        chunk: sa.BindParameter[list[int]] = sa.bindparam(
            "ids", ids[start:start + 500], expanding=True)
        for statement in (
            "DELETE FROM unit_progress WHERE enrolment_id IN :ids",
            "UPDATE attempts SET state = 'expired', submitted_at = CURRENT_TIMESTAMP "
            "WHERE state = 'in_progress' AND enrolment_id IN :ids",
            "UPDATE enrolments SET completed_at = NULL, exam_passed_at = NULL, "
            "course_version_id = NULL, started_at = NULL WHERE id IN :ids",
        ):
            op.execute(sa.text(statement).bindparams(chunk))


def downgrade() -> None:
    op.drop_index(INDEX, table_name="certificates")
