"""How much the reviews of a learner's graded attempts show now (the course's `exam.review`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session

from lernmodul.core.model import Course
from lernmodul.core.review import ReviewDetail, attempts_remain, exam_review_detail
from lernmodul.db.learning import Attempt
from lernmodul.db.models import Enrolment
from lernmodul.services.learning import EXAM, count_attempts, find_open_attempt


def review_details(session: Session, attempts: Sequence[Attempt],
                   course_of: Callable[[int], Course]) -> dict[int, ReviewDetail]:
    """The detail of each attempt's review, by attempt id. A unit quiz shows everything. An
    exam attempt follows the exam the enrolment faces now (the version it takes, else the
    attempt's own): whether it is passed in the current round and attempts remain. Earlier
    attempts and earlier rounds count as the current state says: a renewal withholds the key
    again. `course_of` gives the compiled course of a version id."""
    details: dict[int, ReviewDetail] = {}
    by_enrolment: dict[int, ReviewDetail] = {}
    for attempt in attempts:
        if attempt.kind != EXAM:
            details[attempt.id] = ReviewDetail.FULL
            continue
        if attempt.enrolment_id not in by_enrolment:
            enrolment = session.get(Enrolment, attempt.enrolment_id)
            assert enrolment is not None  # attempts go with their enrolment (CASCADE)
            by_enrolment[attempt.enrolment_id] = _exam_detail(
                session, enrolment, course_of(attempt.course_version_id), course_of)
        details[attempt.id] = by_enrolment[attempt.enrolment_id]
    return details


def _exam_detail(session: Session, enrolment: Enrolment, attempt_course: Course,
                 course_of: Callable[[int], Course]) -> ReviewDetail:
    current = (course_of(enrolment.course_version_id) if enrolment.course_version_id is not None
               else attempt_course)
    exam = current.exam or attempt_course.exam
    if exam is None:  # pragma: no cover - an exam attempt's version has an exam
        return ReviewDetail.FULL
    if current.exam is None:
        remain = False  # the version taken now has no exam: none is ahead
    else:
        # a round not begun yet (reassigned, no version chosen) has used no attempt
        used = (count_attempts(session, enrolment.id, EXAM, "", since=enrolment.started_at)
                if enrolment.started_at is not None else 0)
        is_open = find_open_attempt(session, enrolment.id, EXAM, "") is not None
        remain = attempts_remain(current.exam.max_attempts, used, has_open_attempt=is_open)
    return exam_review_detail(exam.review, exam_passed=enrolment.exam_passed_at is not None,
                              attempts_remain=remain)
