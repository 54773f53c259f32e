"""The compiled course as plain JSON data, described by the JSON Schema shipped in lernmodul/schema/.

Without answer keys (the default) a document can be handed to a browser or another service:
it leaves out which options are right, the accepted answers, every feedback text and the
explanations (of a cloze question only each gap's index, kind and, for a choice gap, its
choices are left), lists choices and order items in a neutral order (the source order of an
order question is its solution) and gives a match question's right-hand sides as a separate
list without the ids that would pair them. With keys it is the complete course.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from lernmodul.core.diagnostics import Diagnostic
from lernmodul.core.grading import self_check_order
from lernmodul.core.model import Course, Gap, GapKind, Question, QuestionType, Unit

__all__ = [
    "CHECK_SCHEMA_ID",
    "COURSE_SCHEMA_ID",
    "COURSE_SCHEMA_VERSION",
    "check_schema",
    "course_schema",
    "course_to_dict",
    "course_to_json",
    "diagnostic_to_dict",
    "question_to_dict",
]

#: The version of the compiled-course format; a change that can break a reader raises it.
COURSE_SCHEMA_VERSION = 1
#: The `$id` of the JSON Schema of one compiled course (lernmodul/schema/course-1.json).
COURSE_SCHEMA_ID = f"urn:lernmodul:schema:course:{COURSE_SCHEMA_VERSION}"
#: The `$id` of the JSON Schema of `lernmodul check --json` (lernmodul/schema/check-1.json).
CHECK_SCHEMA_ID = f"urn:lernmodul:schema:check:{COURSE_SCHEMA_VERSION}"

def course_to_dict(course: Course, *, with_keys: bool = False) -> dict[str, Any]:
    """The compiled course as JSON-ready data (see :data:`COURSE_SCHEMA_ID`).

    Args:
        course: A compiled course.
        with_keys: Include the answer keys (right options, accepted answers, solution order,
            match pairs), option and answer feedback and explanations. Leave it off for
            anything a learner can see.

    Returns:
        A dict of plain values (str, int, float, bool, None, lists, dicts) that
        :func:`json.dumps` writes as is.
    """
    return {
        "schema": COURSE_SCHEMA_ID,
        "with_keys": with_keys,
        "id": course.id,
        "title": course.title,
        "version": course.version,
        "language": course.language,
        "format": course.format,
        "summary": course.summary,
        "audience": course.audience,
        "duration": course.duration,
        "total_duration": course.total_duration,
        "intro_html": course.intro_html,
        "completion": {"units": course.completion.units, "exam": course.completion.exam.value},
        "units": [_unit(unit, with_keys) for unit in course.units],
        "exam": _exam(course, with_keys),
        "certificate": None if course.certificate is None else {
            "title": course.certificate.title,
            "valid_months": course.certificate.valid_months,
            "signatory": course.certificate.signatory,
        },
    }


def course_to_json(course: Course, *, with_keys: bool = False, indent: int | None = None) -> str:
    """The compiled course as a JSON text; see :func:`course_to_dict`."""
    return json.dumps(course_to_dict(course, with_keys=with_keys), ensure_ascii=False,
                      indent=indent)


def diagnostic_to_dict(diagnostic: Diagnostic, language: str = "en") -> dict[str, Any]:
    """One diagnostic as JSON-ready data, its message in `language` ("en" or "de")."""
    return {
        "path": diagnostic.path,
        "line": diagnostic.line,
        "column": diagnostic.column,
        "severity": diagnostic.severity.value,
        "code": diagnostic.code.slug,
        "message": diagnostic.message(language),
    }


@cache
def _load_schema(name: str) -> str:
    return resources.files("lernmodul").joinpath("schema", name).read_text(encoding="utf-8")


def course_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of :func:`course_to_dict`'s output, as shipped."""
    schema: dict[str, Any] = json.loads(_load_schema(f"course-{COURSE_SCHEMA_VERSION}.json"))
    return schema


def check_schema() -> dict[str, Any]:
    """The JSON Schema of `lernmodul check --json`; it refers to :func:`course_schema` by `$id`."""
    schema: dict[str, Any] = json.loads(_load_schema(f"check-{COURSE_SCHEMA_VERSION}.json"))
    return schema


def _unit(unit: Unit, with_keys: bool) -> dict[str, Any]:
    return {
        "id": unit.id,
        "title": unit.title,
        "duration": unit.duration,
        "objectives": list(unit.objectives),
        "body": [{"html": s.html} if s.question_id is None else {"question_id": s.question_id}
                 for s in unit.body],
        "media": list(unit.media),
        "quiz": None if unit.quiz is None else {
            "pass_mark": unit.quiz.pass_mark,
            "draw": unit.quiz.draw,
            "shuffle": unit.quiz.shuffle,
        },
        "questions": [question_to_dict(q, with_keys=with_keys) for q in unit.questions],
    }


def _exam(course: Course, with_keys: bool) -> dict[str, Any] | None:
    exam = course.exam
    if exam is None:
        return None
    return {
        "pass_mark": exam.pass_mark,
        "draw": exam.draw,
        "question_count": exam.questions,
        "max_attempts": exam.max_attempts,
        "time_limit": exam.time_limit,
        "shuffle": exam.shuffle,
        "review": exam.review.value,
        "intro_html": course.exam_intro_html,
        "questions": [question_to_dict(q, with_keys=with_keys) for q in course.exam_questions],
    }


def question_to_dict(question: Question, *, with_keys: bool = False) -> dict[str, Any]:
    """One question as JSON-ready data; see :func:`course_to_dict` for `with_keys`."""
    found: dict[str, Any] = {
        "id": question.id,
        "type": question.type.value,
        "stem_html": question.stem_html,
        "points": question.points,
        "scoring": question.scoring.value,
        "is_inline": question.is_inline,
        "unit_id": question.unit_id,
        "path": question.path,
        "line": question.line,
    }
    kind = question.type
    if kind is QuestionType.CLOZE:
        found["stem_parts"] = list(question.stem_parts)
        found["gaps"] = [_gap(gap, with_keys) for gap in question.gaps]
    elif kind in (QuestionType.NUMBER, QuestionType.TEXT):
        if with_keys and kind is QuestionType.NUMBER:
            found["number_answers"] = [
                {"value": a.value, "tolerance": a.tolerance, "feedback_html": a.feedback_html}
                for a in question.number_answers]
        if with_keys and kind is QuestionType.TEXT:
            found["text_answers"] = [
                {"text": text, "feedback_html": feedback} for text, feedback in zip(
                    question.text_answers,
                    question.text_feedback_html + ("",) * len(question.text_answers),
                    strict=False)]
    elif with_keys:
        found["options"] = [_keyed_option(question, o.id) for o in question.options]
    else:
        # a neutral order: the source order of an order question is its solution (a match
        # question's left side may keep its order: its right sides come apart below)
        order = (tuple(o.id for o in question.options) if kind is QuestionType.MATCH
                 else self_check_order(question))
        by_id = {o.id: o for o in question.options}
        found["options"] = [{"id": i, "html": by_id[i].html, "text": by_id[i].text} for i in order]
        if kind is QuestionType.MATCH:
            # the right-hand sides alone, by their text: their ids would say which left item
            # each belongs to
            found["choices"] = sorted(
                ({"html": o.match_html, "text": o.match_text} for o in question.options),
                key=lambda c: (c["text"].casefold(), c["html"]))
    if with_keys:
        found["explanation_html"] = question.explanation_html
    return found


def _gap(gap: Gap, with_keys: bool) -> dict[str, Any]:
    """One cloze gap: its index and kind; a choice gap's choices (without keys by id, an
    order that follows neither the source nor the key). With keys the accepted answers, the
    number with its tolerance or which choice is right."""
    found: dict[str, Any] = {"index": gap.number, "kind": gap.kind.value}
    if gap.kind is GapKind.CHOICE:
        options = gap.options if with_keys else sorted(gap.options, key=lambda o: o.id)
        found["choices"] = [
            {"id": o.id, "html": o.html, "text": o.text}
            | ({"is_correct": o.is_correct} if with_keys else {}) for o in options]
    elif with_keys and gap.kind is GapKind.NUMBER and gap.number_answer is not None:
        found.update(value=gap.number_answer.value, tolerance=gap.number_answer.tolerance)
    elif with_keys and gap.kind is GapKind.TEXT:
        found["answers"] = list(gap.answers)
    return found


def _keyed_option(question: Question, option_id: str) -> dict[str, Any]:
    option = question.option(option_id)
    assert option is not None
    found: dict[str, Any] = {"id": option.id, "html": option.html, "text": option.text}
    if question.type is QuestionType.MATCH:
        found.update(match_html=option.match_html, match_text=option.match_text)
    elif question.type is not QuestionType.ORDER:  # an order's key is the order itself
        found.update(is_correct=option.is_correct)
    found["feedback_html"] = option.feedback_html
    return found
