"""The rule of `exam.review`: how much a final-exam review shows, and what the data copy keeps."""

from __future__ import annotations

import pytest

from lernmodul.core.model import ExamReview
from lernmodul.core.review import ReviewDetail, attempts_remain, exam_review_detail, reviewed_scores

FULL, VERDICTS, SCORE = ReviewDetail.FULL, ReviewDetail.VERDICTS, ReviewDetail.SCORE


@pytest.mark.parametrize(("review", "passed", "remain", "expected"), [
    (ExamReview.AFTER_PASS, False, True, VERDICTS),
    (ExamReview.AFTER_PASS, True, True, FULL),
    (ExamReview.AFTER_PASS, False, False, FULL),
    (ExamReview.AFTER_PASS, True, False, FULL),
    (ExamReview.ALWAYS, False, True, FULL),
    (ExamReview.ALWAYS, True, False, FULL),
    (ExamReview.NEVER, False, True, SCORE),
    (ExamReview.NEVER, True, True, SCORE),
    (ExamReview.NEVER, False, False, SCORE),
])
def test_exam_review_detail(review: ExamReview, passed: bool, remain: bool,
                            expected: ReviewDetail) -> None:
    assert exam_review_detail(review, exam_passed=passed, attempts_remain=remain) is expected


@pytest.mark.parametrize(("limit", "used", "is_open", "expected"), [
    (3, 0, False, True), (3, 2, False, True), (3, 3, False, False), (3, 4, False, False),
    (3, 3, True, True),  # the last attempt is being taken
    (0, 50, False, True),  # unlimited
])
def test_attempts_remain(limit: int, used: int, is_open: bool, expected: bool) -> None:
    assert attempts_remain(limit, used, has_open_attempt=is_open) is expected


def test_reviewed_scores_keep_what_the_review_shows() -> None:
    stored = {"q1": {"points": 0.0, "max": 1.0, "marks": {"o1a2b3c4d5e": False}},
              "q2": {"points": 1.0, "max": 1.0, "marks": {}}}
    assert reviewed_scores(FULL, stored) == stored
    assert reviewed_scores(VERDICTS, stored) == {"q1": {"points": 0.0, "max": 1.0},
                                                 "q2": {"points": 1.0, "max": 1.0}}
    assert reviewed_scores(SCORE, stored) is None
    assert stored["q1"]["marks"] == {"o1a2b3c4d5e": False}  # the stored result is not changed
