"""Scores for the learning platforms a learner came from (LTI Assignment and Grade Services).

When a result is written (a finished exam attempt, a completed course) every line item the
learner launched this course from gets one score delivery in the outbox, in the same
transaction as the result and keyed by the result, so that it is queued and sent once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lernmodul.db.learning import Attempt, AttemptResult
from lernmodul.db.lti import LtiLineItem
from lernmodul.db.models import Enrolment
from lernmodul.outbox import enqueue

KIND = "ags"
COMPLETED = "Completed"
IN_PROGRESS = "InProgress"
FULLY_GRADED = "FullyGraded"


def score_payload(item: LtiLineItem, *, given: float, maximum: float, activity: str,
                  at: datetime) -> dict[str, Any]:
    """The delivery's payload: the line item and the AGS score (application/vnd.ims.lis.v1.score+json)."""
    return {"platform_id": item.platform_id, "lineitem": item.lineitem_url,
            "score": {"userId": item.subject, "scoreGiven": round(float(given), 4),
                      "scoreMaximum": float(maximum), "activityProgress": activity,
                      "gradingProgress": FULLY_GRADED,
                      "timestamp": at.isoformat(timespec="milliseconds")}}


def queue_scores(session: Session, *, user_id: int, course_id: str, result_key: str,
                 given: float, maximum: float, completed: bool, at: datetime) -> int:
    """Queues the score of one result for every line item of (user, course); returns how
    many were newly queued (0 when the learner did not come through LTI with AGS)."""
    if maximum <= 0:
        given, maximum = (1.0, 1.0) if completed else (0.0, 1.0)
    items = session.scalars(select(LtiLineItem).where(
        LtiLineItem.user_id == user_id, LtiLineItem.course_id == course_id).order_by(LtiLineItem.id))
    queued = 0
    for item in items:
        payload = score_payload(item, given=given, maximum=maximum,
                                activity=COMPLETED if completed else IN_PROGRESS, at=at)
        queued += enqueue(session, kind=KIND, key=f"{result_key}:line:{item.id}", payload=payload,
                          target=f"lti_platform:{item.platform_id}", now=at)
    return queued


def queue_completion_score(session: Session, enrolment: Enrolment, at: datetime) -> int:
    """The score of a completed course: the newest passed exam attempt's points, else 1 of 1."""
    passed = session.execute(
        select(AttemptResult.points, AttemptResult.max_points)
        .join(Attempt, Attempt.id == AttemptResult.attempt_id)
        .where(Attempt.enrolment_id == enrolment.id, Attempt.kind == "exam",
               AttemptResult.is_passed.is_(True))
        .order_by(AttemptResult.graded_at.desc()).limit(1)).first()
    given, maximum = (passed[0], passed[1]) if passed is not None else (1.0, 1.0)
    return queue_scores(session, user_id=enrolment.user_id, course_id=enrolment.course_id,
                        result_key=f"completion:{enrolment.id}:{int(at.timestamp())}",
                        given=given, maximum=maximum, completed=True, at=at)
