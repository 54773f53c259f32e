"""Thin, typed wrappers that make the engine usable from the package top level (`import lernmodul`).

The functions of lernmodul.core take exactly what they need (a mapping of questions, a pass
mark); these wrappers take what a caller holds (a unit, a course, a folder). Pure apart from
:func:`compile_folder`, which reads files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from lernmodul.content import load_course
from lernmodul.core.compiler import CompileResult
from lernmodul.core.grading import DrawnQuestion, Response, Result, grade_attempt
from lernmodul.core.model import Course, Question, Unit
from lernmodul.core.responses import from_json, to_json

__all__ = ["compile_folder", "grade_exam", "grade_quiz", "response_from_json", "response_to_json"]


def compile_folder(path: str | os.PathLike[str], *, media_base: str = "media/") -> CompileResult:
    """Compiles the course in one folder (the folder that holds its ``course.md``).

    Reads the folder's Markdown files and notes which other files (images under ``media/``)
    exist, then compiles them like :func:`lernmodul.compile_course`. Never raises for bad
    content: every problem is a diagnostic (a missing folder or ``course.md`` is the
    diagnostic ``no-course``).

    Args:
        path: The course folder.
        media_base: The URL prefix that image sources under ``media/`` are rewritten to.

    Returns:
        The course as far as it could be built and every diagnostic, sorted by file and line
        (paths start with `path` relative to the current directory). Use the course only
        when the result is ``ok`` (no errors); it is ``None`` when ``course.md`` itself lacks
        what a course needs.
    """
    return load_course(Path(path), media_base=media_base)


def grade_quiz(unit: Unit, drawn: Sequence[DrawnQuestion],
               responses: Mapping[str, Response]) -> Result:
    """Scores one attempt at a unit quiz against the quiz's pass mark.

    Args:
        unit: The unit whose quiz was taken.
        drawn: The questions of the attempt, from :func:`lernmodul.assemble_quiz`.
        responses: Question id to response; a drawn question without one scores 0.

    Raises:
        ValueError: The unit has no quiz.
        lernmodul.InvalidResponse: A response does not fit its question, or answers a
            question that was not drawn.
    """
    if unit.quiz is None:
        raise ValueError(f"unit {unit.id!r} has no quiz")
    return grade_attempt({q.id: q for q in unit.questions}, drawn, responses,
                         unit.quiz.pass_mark)


def grade_exam(course: Course, drawn: Sequence[DrawnQuestion],
               responses: Mapping[str, Response]) -> Result:
    """Scores one final-exam attempt against the exam's pass mark.

    Args:
        course: The course whose exam was taken.
        drawn: The questions of the attempt, from :func:`lernmodul.assemble_exam`.
        responses: Question id to response; a drawn question without one scores 0.

    Raises:
        ValueError: The course has no exam.
        lernmodul.InvalidResponse: A response does not fit its question, or answers a
            question that was not drawn.
    """
    if course.exam is None:
        raise ValueError(f"course {course.id!r} has no exam")
    return grade_attempt(course.questions(), drawn, responses, course.exam.pass_mark)


def response_to_json(response: Response) -> object:
    """A response as JSON-ready data (sets and orders as lists, pairs as an object)."""
    return to_json(response)


def response_from_json(question: Question, value: object) -> Response:
    """The response that :func:`response_to_json` wrote (or a client sent) for `question`.

    Raises:
        lernmodul.InvalidResponse: `value` has no shape a response to this question can have.
    """
    return from_json(question, value)
