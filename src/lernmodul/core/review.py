"""What the review of a graded attempt shows: the rule of the course's `exam.review`.

Exam questions are drawn from the unit pools, so later attempts repeat many of them: a review
that shows the key of a failed attempt hands out the key of the next one."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from .model import ExamReview


class ReviewDetail(enum.StrEnum):
    FULL = "full"  # right options, keys, per-option feedback and explanations
    VERDICTS = "verdicts"  # right or wrong and points per question, and the learner's answers
    SCORE = "score"  # the total only


def attempts_remain(max_attempts: int, used: int, *, has_open_attempt: bool) -> bool:
    """Whether the learner may still take the exam: `used` counts the attempts of the current
    round (an open one too); an open attempt is still being taken; 0 allows any number."""
    return has_open_attempt or not max_attempts or used < max_attempts


def exam_review_detail(review: ExamReview, *, exam_passed: bool,
                       attempts_remain: bool) -> ReviewDetail:
    """How much the review of a final-exam attempt shows now. Unit quizzes always show
    everything (they are practice); the exam under `after_pass` shows the key only once it
    cannot help with another attempt: after the pass, or when no attempt is left."""
    if review is ExamReview.ALWAYS:
        return ReviewDetail.FULL
    if review is ExamReview.NEVER:
        return ReviewDetail.SCORE
    if exam_passed or not attempts_remain:
        return ReviewDetail.FULL
    return ReviewDetail.VERDICTS


def reviewed_scores(detail: ReviewDetail, scores: Mapping[str, Mapping[str, Any]]
                    ) -> dict[str, dict[str, Any]] | None:
    """A result's stored per-question scores as the review may show them: all of them; points
    only (the marks say which chosen option is right: a part of the key); or none."""
    if detail is ReviewDetail.SCORE:
        return None
    if detail is ReviewDetail.VERDICTS:
        return {qid: {k: v for k, v in score.items() if k != "marks"}
                for qid, score in scores.items()}
    return {qid: dict(score) for qid, score in scores.items()}
