"""Retention: quiz and exam attempts (answers and scores) are deleted after a period.

What stays is what the proof duty needs: the enrolment's completion (`completed_at`,
`exam_passed_at`), unit progress (read, quiz passed) and certificates. An attempt counts
from when it ended (`submitted_at`), or from its start when it never ended. Running the
deletion twice deletes nothing the second time.

The delivery outbox goes with them: delivered and given-up deliveries (LTI scores and xAPI
statements, which carry scores too) finished before the same cutoff are deleted; pending
ones stay until they are sent or given up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from lernmodul.db.learning import Attempt, AttemptResult
from lernmodul.outbox import purge_finished
from lernmodul.services.audit import record_event

RETENTION_ACTION = "retention.attempts_deleted"


@dataclass(frozen=True, slots=True)
class RetentionReport:
    cutoff: datetime
    attempts: int
    results: int
    deliveries: int
    dry_run: bool


def retention_cutoff(now: datetime, days: int) -> datetime:
    if days < 1:
        raise ValueError("the retention period must be at least one day")
    return now - timedelta(days=days)


def _expired_attempts(cutoff: datetime) -> Select[int]:
    ended = func.coalesce(Attempt.submitted_at, Attempt.started_at)
    return select(Attempt.id).where(ended < cutoff)


def delete_expired_attempts(session: Session, *, now: datetime, days: int,
                            dry_run: bool = False) -> RetentionReport:
    """Deletes attempts that ended more than `days` before `now`, with their results, and
    the finished deliveries of the outbox from before the same cutoff.

    The answers live in the attempt row, so they go with it. With `dry_run` nothing is
    deleted and the report says what would be. A run that deletes leaves an audit entry."""
    cutoff = retention_cutoff(now, days)
    expired = _expired_attempts(cutoff)
    attempts = session.scalar(select(func.count()).select_from(expired.subquery())) or 0
    results = session.scalar(select(func.count()).select_from(AttemptResult).where(
        AttemptResult.attempt_id.in_(expired))) or 0
    if not dry_run and attempts:
        # results first: the foreign key cascade is not relied on (SQLite needs a pragma)
        session.execute(delete(AttemptResult).where(AttemptResult.attempt_id.in_(expired))
                        .execution_options(synchronize_session=False))
        session.execute(delete(Attempt).where(Attempt.id.in_(_expired_attempts(cutoff)))
                        .execution_options(synchronize_session=False))
    deliveries = purge_finished(session, before=cutoff, dry_run=dry_run)
    if not dry_run and (attempts or deliveries):
        record_event(session, action=RETENTION_ACTION, at=now,
                     detail={"cutoff": cutoff.isoformat(), "attempts": attempts,
                             "results": results, "deliveries": deliveries, "days": days})
    session.flush()
    return RetentionReport(cutoff=cutoff, attempts=attempts, results=results,
                           deliveries=deliveries, dry_run=dry_run)
