"""Plain-data views of compiled courses (for `lernmodul check --json` and other tools)."""

from __future__ import annotations

from typing import Any

from .diagnostics import Diagnostic
from .model import Course, Question


def question_summary(question: Question) -> dict[str, Any]:
    summary: dict[str, Any] = {"id": question.id, "type": question.type.value,
                               "points": question.points}
    if question.gaps:
        summary["gaps"] = [gap.kind.value for gap in question.gaps]
    return summary


def course_summary(course: Course) -> dict[str, Any]:
    exam = None
    if course.exam is not None:
        exam = {
            "pass_mark": course.exam.pass_mark,
            "draw": course.exam.draw,
            "question_count": course.exam.questions,
            "max_attempts": course.exam.max_attempts,
            "time_limit": course.exam.time_limit,
            "review": course.exam.review.value,
            "questions": [question_summary(q) for q in course.exam_questions],
        }
    return {
        "id": course.id,
        "title": course.title,
        "version": course.version,
        "language": course.language,
        "units": [
            {
                "id": unit.id,
                "title": unit.title,
                "duration": unit.duration,
                "quiz": None if unit.quiz is None else {
                    "pass_mark": unit.quiz.pass_mark,
                    "draw": unit.quiz.draw,
                    "shuffle": unit.quiz.shuffle,
                },
                "questions": [question_summary(q) for q in unit.questions],
            }
            for unit in course.units
        ],
        "exam": exam,
    }


def diagnostic_summary(diagnostic: Diagnostic, language: str = "en") -> dict[str, Any]:
    return {
        "path": diagnostic.path,
        "line": diagnostic.line,
        "column": diagnostic.column,
        "severity": diagnostic.severity.value,
        "code": diagnostic.code.slug,
        "message": diagnostic.message(language),
    }
