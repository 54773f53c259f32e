"""Item statistics of a course version for trainers: anonymous, one attempt per person.

Only each person's first graded attempt at the exam (or at a unit quiz) counts, so nobody
weighs more for trying often and figures describe first encounters with a question. Person
ids are used only to pick that attempt, inside the database query; nothing that names or
identifies a person leaves this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lernmodul.core.item_stats import DEFAULT_K, GradedAttempt, ItemStatistic, item_statistics
from lernmodul.core.model import Course, Question
from lernmodul.db.learning import Attempt, AttemptResult
from lernmodul.db.models import CourseVersion

EXAM = "exam"
QUIZ = "quiz"


@dataclass(frozen=True, slots=True)
class QuizStatistics:
    """The figures of the final exam (unit_id None) or of one unit quiz."""

    unit_id: str | None
    title: str
    people: int
    items: tuple[ItemStatistic, ...]


@dataclass(frozen=True, slots=True)
class VersionStatistics:
    k: int
    exam: QuizStatistics | None
    quizzes: tuple[QuizStatistics, ...]


def list_versions(session: Session, course_id: str) -> list[CourseVersion]:
    """The stored versions of a course, oldest first (the versions a trainer can analyse)."""
    return list(session.scalars(select(CourseVersion).where(CourseVersion.course_id == course_id)
                                .order_by(CourseVersion.id)))


def first_graded_attempts(session: Session, version_id: int,
                          kind: str) -> dict[str, list[GradedAttempt]]:
    """Each person's first graded attempt at each quiz (or the exam) of the version, by unit
    id ('' for the exam)."""
    first = (select(func.min(Attempt.id))
             .join(AttemptResult, AttemptResult.attempt_id == Attempt.id)
             .where(Attempt.course_version_id == version_id, Attempt.kind == kind)
             .group_by(Attempt.user_id, Attempt.unit_key))
    # the scores hold every drawn question (grading scores an unanswered one 0), so the
    # drawn list itself is not read
    rows = session.execute(
        select(Attempt.unit_key, Attempt.responses, AttemptResult.scores,
               AttemptResult.points, AttemptResult.max_points)
        .join(AttemptResult, AttemptResult.attempt_id == Attempt.id)
        .where(Attempt.id.in_(first)))
    found: dict[str, list[GradedAttempt]] = {}
    for unit_key, responses, scores, points, max_points in rows:
        found.setdefault(unit_key, []).append(
            graded_attempt(responses, scores, (float(points), float(max_points))))
    return found


def graded_attempt(responses: Mapping[str, Any] | None, scores: Mapping[str, Any],
                   total: tuple[float, float] | None = None) -> GradedAttempt:
    """An attempt's stored JSON (responses, scores by question id) as plain figures."""
    # plain dict and type checks: this runs for every question of every attempt
    points: dict[str, tuple[float, float]] = {}
    gap_marks: dict[str, dict[str, bool]] = {}
    for question_id, score in scores.items():
        if type(score) is dict:
            earned, maximum = score.get("points"), score.get("max")
            if isinstance(earned, int | float) and isinstance(maximum, int | float):
                points[question_id] = (float(earned), float(maximum))
            marks = score.get("marks")
            # a cloze's marks are by gap number ("1", "2" …), other types' by option id ("o…")
            if type(marks) is dict and marks and next(iter(marks))[:1].isdigit():
                gap_marks[question_id] = {k: v is True for k, v in marks.items()}
    choices: dict[str, frozenset[str]] = {}
    for question_id, value in (responses or {}).items():
        kind = type(value)
        if kind is str:
            if value:
                choices[question_id] = frozenset((value,))
        elif kind is list:
            choices[question_id] = frozenset(v for v in value if type(v) is str)
    return GradedAttempt(points, choices, total, gap_marks)


def version_statistics(session: Session, version_id: int, course: Course,
                       k: int = DEFAULT_K) -> VersionStatistics:
    """The exam's and every unit quiz's item figures for one course version."""
    exam = None
    if course.exam is not None:
        attempts = first_graded_attempts(session, version_id, EXAM).get("", [])
        pool = exam_questions(course)
        exam = _quiz(None, course.title, pool, attempts, k)
    by_unit = first_graded_attempts(session, version_id, QUIZ)
    quizzes = tuple(_quiz(unit.id, unit.title, unit.quiz_questions, by_unit.get(unit.id, []), k)
                    for unit in course.units if unit.quiz is not None)
    return VersionStatistics(k, exam, quizzes)


def exam_questions(course: Course) -> list[Question]:
    """Every question an exam attempt can draw (grading.assemble_exam's rules), units first."""
    exam = course.exam
    if exam is None:
        return []
    from_units = exam.draw is not None or exam.questions is not None or not course.exam_questions
    pool = [q for u in course.units for q in u.questions] if from_units else []
    return pool + list(course.exam_questions)


def _quiz(unit_id: str | None, title: str, questions: Sequence[Question],
          attempts: Sequence[GradedAttempt], k: int) -> QuizStatistics:
    return QuizStatistics(unit_id, title, len(attempts),
                          item_statistics(questions, attempts, k))
